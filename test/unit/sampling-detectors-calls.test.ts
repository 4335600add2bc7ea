import { describe, expect, it } from 'vitest';
import { CacheChurnDetector } from '../../src/sampling/detectors/cache-churn.js';
import { CacheCollapseDetector } from '../../src/sampling/detectors/cache-collapse.js';
import { isModelCall } from '../../src/sampling/detectors/model-call.js';
import { isRefusal } from '../../src/sampling/detectors/refusal.js';
import { RetryStormDetector } from '../../src/sampling/detectors/retry-storm.js';
import { RunawayDetector } from '../../src/sampling/detectors/runaway.js';
import { call, detect, detectorsConfig, request, tool } from './detector-fixtures.js';

const cfg = detectorsConfig();

describe('isRefusal', () => {
  it('classifies 429, 408 and 5xx statuses and rate-limit / overload / timeout error types as refusals', () => {
    for (const s of [429, 408, 500, 503, 529]) expect(isRefusal(request(s, { startMs: 0 }))).toBe(true);
    for (const s of [200, 400, 401, 404]) expect(isRefusal(request(s, { startMs: 0 }))).toBe(false);
    for (const t of ['RateLimitError', 'overloaded_error', 'APIConnectionTimeoutError', 'ThrottlingException']) expect(isRefusal(call({ startMs: 0, errorType: t }))).toBe(true);
    expect(isRefusal(call({ startMs: 0, errorType: 'BadRequestError' }))).toBe(false);
  });
});

describe('isModelCall', () => {
  it('counts a call span and a refused call without usage, not a wrapper that carries its children\'s usage (regression: detectors counted wrappers twice)', () => {
    const c = call({ startMs: 0 });
    expect(isModelCall(c)).toBe(true);
    expect(isModelCall(call({ startMs: 0, errorType: 'RateLimitError' }))).toBe(true);
    expect(isModelCall({ ...c, usageRole: 'aggregate' })).toBe(false);
  });
});

describe('RetryStormDetector', () => {
  const d = new RetryStormDetector(cfg.retryStorm);

  it('fires on two refused requests under one model call and records count, provider and seconds backing off', () => {
    const c = call({ startMs: 0, endMs: 5_000 });
    const r1 = request(429, { startMs: 0, endMs: 100, parent: c.spanId });
    const r2 = request(429, { startMs: 1_000, endMs: 1_100, parent: c.spanId });
    const ok = request(200, { startMs: 3_000, endMs: 4_500, parent: c.spanId });
    const f = detect(d, [c, r1, r2, ok]);
    expect(f).toMatchObject({ fired: true, figures: { refusals: 2, refusalsByProvider: { anthropic: 2 }, backoffSeconds: 4.5 } });
    expect(f!.culpritSpanIds).toEqual([r1.spanId, r2.spanId]);
  });

  it('records one 429 then success under the threshold without firing (near miss)', () => {
    const c = call({ startMs: 0, endMs: 3_000 });
    const f = detect(d, [c, request(429, { startMs: 0, parent: c.spanId }), request(200, { startMs: 1_000, endMs: 2_000, parent: c.spanId })]);
    expect(f).toMatchObject({ fired: false, culpritSpanIds: [], figures: { refusals: 1 } });
  });

  it('counts refused model calls without requests of their own, and not twice when their requests are counted', () => {
    const a = call({ startMs: 0, errorType: 'RateLimitError', provider: 'openai' });
    const b = call({ startMs: 1_000, errorType: 'overloaded_error', provider: 'openai' });
    const c = call({ startMs: 2_000, errorType: 'RateLimitError', provider: 'openai' });
    const under = request(429, { startMs: 2_000, parent: c.spanId });
    expect(detect(d, [a, b, c, under])?.figures).toMatchObject({ refusals: 3, refusalsByProvider: { openai: 3 } });
  });

  it('ignores refusals of requests that are not under a model call', () => {
    expect(detect(d, [request(503, { startMs: 0 }), request(503, { startMs: 1 })])).toBeNull();
  });
});

describe('RunawayDetector', () => {
  const calls = (n: number, agentName = 'support') => Array.from({ length: n }, (_, i) => call({ startMs: i * 10, agent: agentName }));

  it('fires past maxModelCalls and blames the first call over the budget', () => {
    const d = new RunawayDetector(detectorsConfig({ runaway: { maxModelCalls: 5 } }).runaway);
    const spans = calls(6);
    expect(detect(d, spans)).toMatchObject({ fired: true, culpritSpanIds: [spans[5]!.spanId], figures: { modelCalls: 6 } });
    expect(detect(d, calls(5))).toBeNull();
  });

  it('applies per-agent overrides, the largest among the session agents', () => {
    const d = new RunawayDetector(detectorsConfig({ runaway: { maxModelCalls: 5, agents: { coder: { maxModelCalls: 50 }, helper: { maxModelCalls: 10 } } } }).runaway);
    expect(detect(d, calls(20), ['coder', 'helper'])).toBeNull();
    expect(detect(d, calls(20), ['helper'])?.fired).toBe(true);
    expect(d.limitOf(['other'], 'maxModelCalls')).toBe(5);
  });

  it('fires past maxToolCalls', () => {
    const d = new RunawayDetector(detectorsConfig({ runaway: { maxToolCalls: 3 } }).runaway);
    expect(detect(d, [0, 1, 2, 3].map((i) => tool('t', { startMs: i, args: i })))?.fired).toBe(true);
  });

  it('fires when a call input passes the growth factor of the first call, and not below minGrowthInputTokens (near miss)', () => {
    const d = new RunawayDetector(cfg.runaway);
    const grown = [call({ startMs: 0, input: 3_000 }), call({ startMs: 1, input: 20_000 }), call({ startMs: 2, input: 80_000 })];
    expect(detect(d, grown)).toMatchObject({ fired: true, culpritSpanIds: [grown[2]!.spanId] });
    expect(detect(d, grown)!.figures.contextGrowth).toBeCloseTo(26.67, 1);
    expect(detect(d, [call({ startMs: 0, input: 500 }), call({ startMs: 1, input: 40_000 })])).toBeNull();
  });
});

describe('CacheCollapseDetector', () => {
  const d = new CacheCollapseDetector(cfg.cacheCollapse);

  it('fires after a cached prefix when minMissedCalls calls read nothing, with the missed tokens and their extra cost', () => {
    const warm = [call({ startMs: 0, input: 1_200, cacheWrite: 1_000 }), call({ startMs: 1, input: 1_300, cacheRead: 1_000 }), call({ startMs: 2, input: 1_400, cacheRead: 1_000 })];
    const cold = [3, 4, 5].map((t) => call({ startMs: t, input: 1_500 }));
    const f = detect(d, [...warm, ...cold]);
    expect(f).toMatchObject({ fired: true, culpritSpanIds: [cold[0]!.spanId], figures: { cacheMissedTokens: 3_000 } });
    // claude-sonnet-4-5: input $3 / MTok, cache read $0.30 / MTok → 3,000 × 2.7e-6.
    expect(f!.figures.cacheCollapseExtraUsd).toBeCloseTo(0.0081, 10);
  });

  it('does not fire on a cache that is simply cold at the first call and warms up (near miss)', () => {
    const spans = [call({ startMs: 0, input: 1_500 }), call({ startMs: 1, input: 1_500 }), call({ startMs: 2, input: 1_500, cacheRead: 1_000 }), call({ startMs: 3, input: 1_500, cacheRead: 1_000 })];
    expect(detect(d, spans)).toBeNull();
  });

  it('does not fire on fewer misses than minMissedCalls, nor on short calls below the prefix (near misses)', () => {
    const warm = call({ startMs: 0, input: 1_300, cacheRead: 1_000 });
    expect(detect(d, [warm, call({ startMs: 1, input: 1_500 }), call({ startMs: 2, input: 1_500 }), call({ startMs: 3, input: 1_500, cacheRead: 1_000 })])).toBeNull();
    expect(detect(d, [warm, ...[1, 2, 3].map((t) => call({ startMs: t, input: 200 }))])).toBeNull();
  });

  it('does not fire on a hit rate that dips and recovers (regression: near misses kept at 11.9 % against a 5 % baseline)', () => {
    const warm = call({ startMs: 0, input: 1_300, cacheRead: 1_000 });
    const dip = [1, 2, 3, 4].map((t) => call({ startMs: t, input: 1_500 }));
    expect(detect(d, [warm, ...dip, call({ startMs: 5, input: 1_600, cacheRead: 1_000 })])).toBeNull();
    // The same misses with no read after them: the cache stayed cold, a collapse.
    expect(detect(d, [warm, ...dip])).toMatchObject({ fired: true, culpritSpanIds: [dip[0]!.spanId], figures: { cacheMissedTokens: 4_000 } });
  });

  it('keeps models apart: another model reading nothing is not a collapse', () => {
    const warm = call({ startMs: 0, input: 1_300, cacheRead: 1_000 });
    expect(detect(d, [warm, ...[1, 2, 3].map((t) => call({ startMs: t, input: 1_500, model: 'gpt-4o', provider: 'openai' }))])).toBeNull();
  });
});

describe('CacheChurnDetector', () => {
  const d = new CacheChurnDetector(cfg.cacheChurn);

  it('fires when minWriteCalls calls write the cache and none reads it, with the write premium', () => {
    const spans = [0, 1, 2].map((t) => call({ startMs: t, input: 1_500, cacheWrite: 1_000 }));
    const f = detect(d, spans);
    expect(f).toMatchObject({ fired: true, culpritSpanIds: [spans[0]!.spanId] });
    // cache write $3.75 vs input $3 per MTok → 3 × 1,000 × 0.75e-6.
    expect(f!.figures.cacheChurnExtraUsd).toBeCloseTo(0.00225, 10);
  });

  it('does not fire when a later call reads the cache (near miss)', () => {
    const spans = [...[0, 1, 2].map((t) => call({ startMs: t, input: 1_500, cacheWrite: 1_000 })), call({ startMs: 3, input: 1_500, cacheRead: 1_000 })];
    expect(detect(d, spans)).toBeNull();
  });

  it('does not fire on two writes (near miss)', () => {
    expect(detect(d, [0, 1].map((t) => call({ startMs: t, input: 1_500, cacheWrite: 1_000 })))).toBeNull();
  });
});
