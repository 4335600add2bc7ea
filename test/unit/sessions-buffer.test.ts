import { afterEach, describe, expect, it, vi } from 'vitest';
import { evalResult, harness, sid, span, T0, trace } from './sessions-fixtures.js';
import { summary, view } from './sampling-fixtures.js';

const S = 1_000_000_000n;

describe('SessionBuffer', () => {
  describe('accept', () => {
    it('groups the traces of one session id into one session', async () => {
      const h = harness();
      await h.buffer.accept([span({ traceId: trace(1), spanId: sid(1), sessionId: 'chat-1' })]);
      await h.buffer.accept([span({ traceId: trace(2), spanId: sid(2), sessionId: 'chat-1' })]);
      h.advance(5_000);
      const w = h.store.of('chat-1');
      expect(w).toHaveLength(1);
      expect(w[0]!.summary.traceIds.sort()).toEqual([trace(1), trace(2)]);
      expect(w[0]!.summary.explicitSession).toBe(true);
      expect(w[0]!.spans).toHaveLength(2);
    });

    it('treats a trace without a session id as its own session keyed by trace id', async () => {
      const h = harness();
      await h.buffer.accept([span({ traceId: trace(7) })]);
      h.advance(5_000);
      expect(h.store.writes).toHaveLength(1);
      expect(h.store.writes[0]!.summary.sessionId).toBe(trace(7));
      expect(h.store.writes[0]!.summary.explicitSession).toBe(false);
    });

    it('moves earlier spans of a bare trace into the session named by a later span', async () => {
      const h = harness();
      await h.buffer.accept([span({ spanId: sid(2), parentSpanId: sid(1) }), span({ spanId: sid(3), parentSpanId: sid(1) })]);
      expect(h.buffer.stats().openSessions).toBe(1);
      await h.buffer.accept([span({ spanId: sid(1), sessionId: 'late-id' })]);
      expect(h.buffer.stats()).toMatchObject({ openSessions: 1, bufferedSpans: 3 });
      // A span of the same trace without the id still follows the trace into the session.
      await h.buffer.accept([span({ spanId: sid(4), parentSpanId: sid(1) })]);
      h.advance(5_000);
      expect(h.store.writes).toHaveLength(1);
      expect(h.store.writes[0]!.summary.sessionId).toBe('late-id');
      expect(h.store.writes[0]!.spans.map((s) => s.spanId).sort()).toEqual([sid(1), sid(2), sid(3), sid(4)]);
      expect(await h.metric('agenttail_sessions_moved_spans_total')).toBe(2);
    });

    it('keeps equal session ids of two tenants apart', async () => {
      const h = harness();
      await h.buffer.accept([span({ tenantId: 'a', sessionId: 'same' })]);
      await h.buffer.accept([span({ tenantId: 'b', sessionId: 'same' })]);
      h.advance(5_000);
      expect(h.store.of('same', 'a')).toHaveLength(1);
      expect(h.store.of('same', 'b')).toHaveLength(1);
      expect(h.store.of('same', 'a')[0]!.spans.every((s) => s.tenantId === 'a')).toBe(true);
    });

    it('counts a duplicate span (client retry) once', async () => {
      const h = harness();
      const s = span({ sessionId: 'dup', usageRole: 'call', usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } });
      await h.buffer.accept([s]);
      await h.buffer.accept([{ ...s }]);
      h.advance(5_000);
      const w = h.store.of('dup')[0]!;
      expect(w.spans).toHaveLength(1);
      expect(w.summary.usage.inputTokens).toBe(10);
      expect(await h.metric('agenttail_sessions_duplicate_spans_total')).toBe(1);
    });

    it('accepts a child before its parent and out-of-order spans', async () => {
      const h = harness();
      await h.buffer.accept([span({ spanId: sid(3), parentSpanId: sid(2), sessionId: 'o', startTimeUnixNano: T0 + 2n * S, genai: { ...span().genai, operation: 'execute_tool', toolName: 'search' } })]);
      await h.buffer.accept([span({ spanId: sid(2), parentSpanId: sid(1), sessionId: 'o', startTimeUnixNano: T0 + 1n * S, genai: { ...span().genai, operation: 'execute_tool', toolName: 'fetch' } })]);
      h.advance(5_000);
      // No root yet: the session waits.
      expect(h.store.writes).toHaveLength(0);
      await h.buffer.accept([span({ spanId: sid(1), sessionId: 'o', endTimeUnixNano: T0 + 3n * S })]);
      h.advance(5_000);
      const w = h.store.of('o')[0]!;
      expect(w.summary.toolPath).toEqual(['fetch', 'search']);
      expect(w.summary.startTimeUnixNano).toBe(T0);
      expect(w.summary.endTimeUnixNano).toBe(T0 + 3n * S);
    });

    it('sums usage over call spans only and counts unpriced calls', async () => {
      const h = harness();
      const u = (n: number) => ({ inputTokens: n, outputTokens: n, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
      await h.buffer.accept([
        span({ sessionId: 'u', usageRole: 'aggregate', usage: u(30), cost: { costUsd: 0.3, source: 'catalog', priceVersion: 'v' } }),
        span({ sessionId: 'u', spanId: sid(2), parentSpanId: sid(1), usageRole: 'call', usage: u(10), cost: { costUsd: 0.1, source: 'catalog', priceVersion: 'v' }, genai: { ...span().genai, requestModel: 'gpt-4o', provider: 'openai' } }),
        span({ sessionId: 'u', spanId: sid(3), parentSpanId: sid(1), usageRole: 'call', usage: u(20), cost: { costUsd: null, source: 'unknown', priceVersion: '' }, genai: { ...span().genai, requestModel: 'mystery' } }),
      ]);
      h.advance(5_000);
      const s = h.store.of('u')[0]!.summary;
      expect(s.usage.inputTokens).toBe(30);
      expect(s.costUsd).toBeCloseTo(0.1);
      expect(s.unpricedCalls).toBe(1);
      expect(s.models.sort()).toEqual(['gpt-4o', 'mystery']);
      expect(s.providers).toEqual(['openai']);
    });
  });

  describe('sweep', () => {
    it('decides a session after the idle timeout, not before', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'i' })]);
      h.advance(4_999);
      expect(h.store.writes).toHaveLength(0);
      h.advance(1);
      expect(h.store.writes).toHaveLength(1);
      expect(h.store.writes[0]!.decision.trigger).toBe('idle');
      expect(h.store.writes[0]!.version).toBe(1);
    });

    it('restarts the idle wait when a span arrives', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'i' })]);
      h.advance(4_000);
      await h.buffer.accept([span({ sessionId: 'i', spanId: sid(2), parentSpanId: sid(1) })]);
      h.advance(4_000);
      expect(h.store.writes).toHaveLength(0);
      h.advance(1_000);
      expect(h.store.of('i')[0]!.spans).toHaveLength(2);
    });

    it('records the delay from the last span arriving to the decision, by trigger', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'd' })]);
      h.advance(4_000);
      await h.buffer.accept([span({ sessionId: 'd', spanId: sid(2), parentSpanId: sid(1) })]);
      h.advance(5_250);
      expect(h.store.of('d')).toHaveLength(1);
      const values = (await h.registry.getSingleMetric('agenttail_sessions_decision_delay_seconds')!.get()).values as { metricName?: string; labels: Record<string, unknown>; value: number }[];
      const at = (metricName: string, le?: number) =>
        values.find((v) => v.metricName === metricName && v.labels.trigger === 'idle' && (le === undefined || v.labels.le === le))?.value;
      expect(at('agenttail_sessions_decision_delay_seconds_count')).toBe(1);
      expect(at('agenttail_sessions_decision_delay_seconds_sum')).toBeCloseTo(5.25, 6);
      expect(at('agenttail_sessions_decision_delay_seconds_bucket', 5)).toBe(0);
      expect(at('agenttail_sessions_decision_delay_seconds_bucket', 5.5)).toBe(1);
    });

    it('decides a session without a root at the maximum age', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'a', spanId: sid(2), parentSpanId: sid(1) })]);
      for (let i = 0; i < 11; i++) h.advance(5_000);
      expect(h.store.writes).toHaveLength(0);
      h.advance(5_000);
      expect(h.store.of('a')[0]!.decision.trigger).toBe('max_age');
    });

    it('uses per-tenant overrides of the limits', async () => {
      const h = harness({ sessions: { tenants: { fast: { idleTimeoutMs: 1_000 } } } });
      await h.buffer.accept([span({ tenantId: 'fast', sessionId: 'x' })]);
      await h.buffer.accept([span({ tenantId: 'slow', sessionId: 'x' })]);
      h.advance(1_000);
      expect(h.store.of('x', 'fast')).toHaveLength(1);
      expect(h.store.of('x', 'slow')).toHaveLength(0);
    });
  });

  describe('start', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('runs the sweep on its interval', async () => {
      vi.useFakeTimers();
      const h = harness({ sessions: { sweepIntervalMs: 100 } });
      h.buffer.start();
      await h.buffer.accept([span({ sessionId: 'tick' })]);
      h.clock.ms += 5_000;
      expect(h.store.writes).toHaveLength(0);
      vi.advanceTimersByTime(100);
      expect(h.store.of('tick')).toHaveLength(1);
      await h.buffer.shutdown();
    });
  });

  describe('admit', () => {
    it('refuses retryably while the store has no capacity', async () => {
      const h = harness();
      h.store.hasCapacity = () => false;
      const out = h.buffer.admit('t1', 1_000);
      expect(out.status === 'retryable' && out.error.code).toBe('AGT_ERR_WRITER_BACKPRESSURE');
      expect((await h.buffer.accept([span()])).status).toBe('retryable');
      expect(await h.metric('agenttail_sessions_refusals_total', { reason: 'writer' })).toBe(2);
    });
  });

  describe('limits', () => {
    it('decides a session when it reaches the span limit', async () => {
      const h = harness({ sessions: { maxSpansPerSession: 3 } });
      await h.buffer.accept([span({ sessionId: 'm', spanId: sid(1) }), span({ sessionId: 'm', spanId: sid(2) })]);
      expect(h.store.writes).toHaveLength(0);
      await h.buffer.accept([span({ sessionId: 'm', spanId: sid(3) })]);
      expect(h.store.of('m')[0]!.decision.trigger).toBe('max_spans');
      expect(h.buffer.stats().openSessions).toBe(0);
    });

    it('keeps accounted bytes bounded under a flood, decides early and refuses retryably', async () => {
      const h = harness({ sessions: { maxBufferBytes: 200_000, softLimitRatio: 0.5 } });
      let refused = 0;
      let peak = 0;
      for (let i = 0; i < 400; i++) {
        const out = await h.buffer.accept([span({ sessionId: `f${i}`, traceId: trace(i % 250), spanId: sid(i % 250), wireBytes: 2_000 })]);
        if (out.status === 'retryable') {
          refused += 1;
          expect(out.error.code).toBe('AGT_ERR_BUFFER_FULL');
          expect(out.retryInMs).toBeGreaterThan(0);
        }
        peak = Math.max(peak, h.buffer.stats().bufferedBytes);
      }
      expect(peak).toBeLessThanOrEqual(100_000);
      expect(refused).toBe(0);
      const early = h.store.writes.filter((w) => w.decision.trigger === 'early:memory');
      expect(early.length).toBeGreaterThan(0);
      expect(early[0]!.decision.reasons).toContain('early:memory');
      expect(await h.metric('agenttail_sessions_early_decisions_total')).toBe(early.length);
      // One request larger than the whole buffer cannot fit: refused retryably, nothing taken.
      const big = Array.from({ length: 200 }, (_, i) => span({ sessionId: 'big', spanId: sid(i), traceId: trace(251), wireBytes: 2_000 }));
      const out = await h.buffer.accept(big);
      expect(out.status).toBe('retryable');
      expect(h.buffer.stats().bufferedBytes).toBeLessThanOrEqual(100_000);
      expect(h.buffer.admit('t1', 10_000_000).status).toBe('retryable');
      expect(await h.metric('agenttail_sessions_refusals_total', { reason: 'buffer_full' })).toBe(2);
    });

    it('holds store writes refused for back-pressure and retries them on the sweep', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'p' })]);
      h.store.full = true;
      h.advance(5_000);
      expect(h.store.writes).toHaveLength(0);
      expect(h.buffer.stats().pendingWrites).toBe(1);
      h.store.full = false;
      h.advance(250);
      expect(h.store.of('p')).toHaveLength(1);
      expect(h.buffer.stats()).toMatchObject({ pendingWrites: 0, bufferedBytes: 0 });
    });
  });

  describe('setMemoryPressure', () => {
    it('while the process is over its memory cap, each sweep decides the oldest sessions early, a quarter of the open bytes at most', async () => {
      const h = harness();
      // Eight sessions of equal size, created in order s0 … s7, 100 ms apart (none idle yet).
      for (let i = 0; i < 8; i++) {
        await h.buffer.accept([span({ sessionId: `s${i}`, traceId: trace(i + 1), wireBytes: 1_000 })]);
        h.clock.ms += 100;
      }
      const perSession = h.buffer.stats().bufferedBytes / 8;
      h.advance(100);
      expect(h.store.writes).toHaveLength(0);
      h.buffer.setMemoryPressure(true);
      h.advance(100);
      // A quarter of 8 equal sessions: the two oldest.
      expect(h.store.writes.map((w) => w.summary.sessionId)).toEqual(['s0', 's1']);
      expect(h.store.writes.every((w) => w.decision.trigger === 'early:memory' && w.decision.reasons.includes('early:memory'))).toBe(true);
      expect(h.buffer.stats()).toMatchObject({ openSessions: 6, bufferedBytes: 6 * perSession });
      h.advance(100); // a quarter of 6: one session (two would pass the share)
      expect(h.store.writes.map((w) => w.summary.sessionId)).toEqual(['s0', 's1', 's2']);
      h.buffer.setMemoryPressure(false);
      h.advance(100);
      h.advance(100);
      expect(h.buffer.stats().openSessions).toBe(5);
      expect(await h.metric('agenttail_sessions_early_decisions_total')).toBe(3);
      expect(await h.metric('agenttail_sessions_decided_total', { trigger: 'early:memory' })).toBe(3);
    });

    it('decides at least one session per sweep, even one larger than the share', async () => {
      const h = harness();
      await h.buffer.accept(Array.from({ length: 10 }, (_, i) => span({ sessionId: 'big', spanId: sid(i + 1), wireBytes: 5_000 })));
      await h.buffer.accept([span({ sessionId: 'small', traceId: trace(2), wireBytes: 100 })]);
      h.buffer.setMemoryPressure(true);
      h.advance(100);
      expect(h.store.writes.map((w) => w.summary.sessionId)).toEqual(['big']);
      h.advance(100);
      expect(h.store.writes.map((w) => w.summary.sessionId)).toEqual(['big', 'small']);
      h.advance(100); // nothing left: the sweep is a no-op
      expect(h.buffer.stats()).toMatchObject({ openSessions: 0, bufferedBytes: 0 });
    });
  });

  describe('late spans', () => {
    it('stores late spans of a kept session with the next version', async () => {
      const h = harness({ keepAll: true });
      await h.buffer.accept([span({ sessionId: 'k' })]);
      h.advance(5_000);
      await h.buffer.accept([span({ sessionId: 'k', traceId: trace(2), spanId: sid(9) })]);
      const w = h.store.of('k');
      expect(w).toHaveLength(2);
      expect(w[1]).toMatchObject({ version: 2, storeSpans: true, countUsage: true });
      expect(w[1]!.spans.map((s) => s.spanId)).toEqual([sid(9)]);
      expect(w[1]!.summary.spanCount).toBe(2);
      expect(await h.metric('agenttail_sessions_late_spans_total', { decision: 'kept' })).toBe(1);
    });

    it('routes a late span by trace id and only counts usage of a dropped session', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'd' })]);
      h.advance(5_000);
      expect(h.store.of('d')[0]!.decision.kept).toBe(false);
      await h.buffer.accept([span({ spanId: sid(5), parentSpanId: sid(1) })]); // same trace, no session id
      const w = h.store.of('d');
      expect(w).toHaveLength(2);
      expect(w[1]).toMatchObject({ version: 2, storeSpans: false, countUsage: true });
      expect(h.buffer.stats().openSessions).toBe(0);
    });

    it('sends a bare trace that names a decided session late into that session', async () => {
      const h = harness({ keepAll: true });
      await h.buffer.accept([span({ sessionId: 'done' })]);
      h.advance(5_000);
      await h.buffer.accept([span({ traceId: trace(4), spanId: sid(4), parentSpanId: sid(3) })]);
      expect(h.buffer.stats().openSessions).toBe(1);
      await h.buffer.accept([span({ traceId: trace(4), spanId: sid(3), sessionId: 'done' })]);
      expect(h.buffer.stats()).toMatchObject({ openSessions: 0, bufferedSpans: 0, bufferedBytes: 0 });
      const last = h.store.of('done').at(-1)!;
      expect(last.version).toBe(2);
      expect(last.spans.map((x) => x.spanId).sort()).toEqual([sid(3), sid(4)]);
      expect(h.cache.sessionOfTrace('t1', trace(4))).toBe('done');
    });

    it('sends the unaliased spans of a decided session\'s new turn into that session, even when they come after the aliased ones', async () => {
      const h = harness({ keepAll: true });
      await h.buffer.accept([span({ sessionId: 'turns' })]);
      h.advance(5_000);
      // Turn 2: the chat span names the session, its HTTP child (as HTTP instrumentations send it) does not.
      await h.buffer.accept([span({ traceId: trace(6), spanId: sid(6), sessionId: 'turns' }), span({ traceId: trace(6), spanId: sid(7), parentSpanId: sid(6) })]);
      expect(h.buffer.stats().openSessions).toBe(0);
      expect(h.store.of('turns').flatMap((w) => w.spans.map((x) => x.spanId)).sort()).toEqual([sid(1), sid(6), sid(7)].sort());
      expect(h.store.writes.filter((w) => w.summary.sessionId === trace(6))).toEqual([]);
    });

    it('upgrades a dropped session on a late error', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'e' })]);
      h.advance(5_000);
      await h.buffer.accept([span({ sessionId: 'e', spanId: sid(2), parentSpanId: sid(1), isError: true, statusCode: 2 })]);
      const last = h.store.of('e').at(-1)!;
      expect(last.decision.kept).toBe(true);
      expect(last.decision.reasons).toContain('upgrade:error');
      expect(last.storeSpans).toBe(true);
      expect(await h.metric('agenttail_sessions_upgrades_total')).toBe(1);
      expect(h.cache.get('t1', 'e')!.decision.kept).toBe(true);
    });
  });

  describe('late evals on spans', () => {
    it('upgrades a dropped session when a late span carries a low eval of its own trace', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'ls' })]);
      h.advance(5_000);
      const ev = evalResult({ score: 0.1, source: 'event', target: { sessionId: null, traceId: trace(1), spanId: sid(6) } });
      await h.buffer.accept([span({ sessionId: 'ls', spanId: sid(6), parentSpanId: sid(1), evals: [ev] })]);
      const last = h.store.of('ls').at(-1)!;
      expect(last.decision.reasons).toContain('upgrade:low_eval');
      expect(last.summary.minEvalScore).toBe(0.1);
      expect(h.store.evals.flatMap((e) => e.evals)).toEqual([ev]);
    });
  });

  describe('acceptEvals', () => {
    it('attaches an eval to an open session found by trace id', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'ev' })]);
      await h.buffer.acceptEvals('t1', [evalResult({ score: 0.2, target: { sessionId: null, traceId: trace(1), spanId: sid(1) } })]);
      h.advance(5_000);
      const w = h.store.of('ev')[0]!;
      expect(w.summary.minEvalScore).toBe(0.2);
      expect(w.decision.kept).toBe(true); // low eval keeps it
      expect(h.store.evals).toHaveLength(1);
    });

    it('upgrades a decided session on a late low eval and writes the new summary', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'le' })]);
      h.advance(5_000);
      await h.buffer.acceptEvals('t1', [evalResult({ score: 0.1, target: { sessionId: 'le', traceId: null, spanId: null } })]);
      const w = h.store.of('le');
      expect(w).toHaveLength(2);
      expect(w[1]!.decision.reasons).toContain('upgrade:low_eval');
      expect(w[1]!.summary.evals).toHaveLength(1);
      expect(w[1]).toMatchObject({ version: 2, spans: [] });
    });

    it('writes evals whose target is unknown and counts them unmatched', async () => {
      const h = harness();
      await h.buffer.acceptEvals('t1', [evalResult({ target: { sessionId: 'nobody', traceId: null, spanId: null } })]);
      expect(h.store.evals[0]!.evals).toHaveLength(1);
      expect(h.store.writes).toHaveLength(0);
      expect(await h.metric('agenttail_sessions_evals_total', { routed: 'unmatched' })).toBe(1);
    });

    it('routes an evaluator span eval to the target trace session', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'target' })]);
      const ev = evalResult({ score: 0.05, source: 'evaluator-span', target: { sessionId: null, traceId: trace(1), spanId: null } });
      await h.buffer.accept([span({ traceId: trace(3), spanId: sid(3), evals: [ev] })]);
      h.advance(5_000);
      expect(h.store.of('target')[0]!.summary.evals).toEqual([ev]);
      expect(h.store.of(trace(3))[0]!.summary.evals).toEqual([]);
    });
  });

  describe('drain', () => {
    it('decides every open session with the shutdown trigger and refuses new spans', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'x' }), span({ sessionId: 'y', traceId: trace(2) })]);
      await h.buffer.shutdown();
      expect(h.store.writes.map((w) => w.decision.trigger)).toEqual(['shutdown', 'shutdown']);
      expect(h.store.flushes).toBe(1);
      const out = await h.buffer.accept([span({ sessionId: 'z' })]);
      expect(out.status === 'retryable' && out.error.code).toBe('AGT_ERR_SHUTTING_DOWN');
    });
  });

  describe('recovery', () => {
    it('teaches every logged decision to the sampling sketches, so a path common before the crash is common after it', async () => {
      const dropped = { kept: false, reasons: [], sampleWeight: 0, trigger: 'idle' as const, decidedAtMs: 1_700_000_000_000 };
      const session = (i: number) => summary({ tenantId: 't', sessionId: `s${i}`, toolPath: ['search_kb', 'answer'] });
      const warm = harness({ rarePath: true });
      warm.buffer.beginReplay([]);
      for (let i = 0; i < 200; i++) {
        warm.buffer.replayDecision(1_000 + i, { type: 'decision', tenantId: 't', sessionId: `s${i}`, version: 1, decision: dropped, summary: session(i), requestLsns: [] });
      }
      await warm.buffer.endReplay();
      expect(warm.engine.decide(view(session(999)), 'idle').reasons).not.toContain('rare_path');
      // The same probe on a buffer that replayed nothing: the path is new, so it is rare.
      const cold = harness({ rarePath: true });
      expect(cold.engine.decide(view(session(999)), 'idle').reasons).toContain('rare_path');
      // The replayed sessions are in the decision cache, not re-decided.
      expect(warm.cache.get('t', 's5')?.decision).toEqual(dropped);
      expect(warm.store.writes).toHaveLength(0);
    });
  });
});
