import { describe, expect, it } from 'vitest';
import { BudgetRaceDetector } from '../../src/sampling/detectors/budget-race.js';
import { DetectorSet } from '../../src/sampling/detectors/detector-set.js';
import { MAX_LISTED } from '../../src/sampling/detectors/report.js';
import { DuplicateToolCallDetector } from '../../src/sampling/detectors/duplicate-tool-call.js';
import { StalledDetector } from '../../src/sampling/detectors/stalled.js';
import { ToolLoopDetector } from '../../src/sampling/detectors/tool-loop.js';
import { agent, call, detect, detectorsConfig, request, tool } from './detector-fixtures.js';

const cfg = detectorsConfig();

/** `n` calls of `name` with model calls between them, 1 s apart. */
function repeated(n: number, name: string, args: (i: number) => number | undefined, trace?: string) {
  return Array.from({ length: n }, (_, i) => [call({ startMs: i * 1000, trace }), tool(name, { startMs: i * 1000 + 500, args: args(i), trace })]).flat();
}

describe('ToolLoopDetector', () => {
  const d = new ToolLoopDetector(cfg.toolLoop);

  it('fires on the same tool with the same arguments repeatCount times and names the call that completed the loop', () => {
    const spans = repeated(6, 'search', () => 42);
    const f = detect(d, spans);
    expect(f).toMatchObject({ reason: 'tool_loop', fired: true, figures: { loopLength: 6 } });
    expect(f!.culpritSpanIds).toEqual([spans[9]!.spanId]); // the 5th call
  });

  it('does not fire on calls of one tool with different arguments (near miss)', () => {
    expect(detect(d, repeated(9, 'search', (i) => i))).toBeNull();
  });

  it('does not fire on one repeat short of the threshold (near miss)', () => {
    expect(detect(d, repeated(4, 'search', () => 42))).toBeNull();
  });

  it('needs nameOnlyRepeatCount repeats when the client sent no arguments', () => {
    expect(detect(d, repeated(7, 'search', () => undefined))).toBeNull();
    expect(detect(d, repeated(8, 'search', () => undefined))?.figures.loopLength).toBe(8);
  });

  it('fires on a cycle of two tools repeated cycleRepeatCount times', () => {
    const spans = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => tool(i % 2 === 0 ? 'read' : 'write', { startMs: i * 100, args: i % 2 }));
    expect(detect(d, spans)).toMatchObject({ fired: true, figures: { loopLength: 4 } });
  });

  it('does not fire on a cycle repeated three times (near miss)', () => {
    const spans = [0, 1, 2, 3, 4, 5].map((i) => tool(i % 2 === 0 ? 'read' : 'write', { startMs: i * 100, args: i % 2 }));
    expect(detect(d, spans)).toBeNull();
  });

  it('reports a run of one call as a run, not as a cycle of two', () => {
    const spans = Array.from({ length: 8 }, (_, i) => tool('search', { startMs: i * 100, args: 1 }));
    expect(detect(d, spans)?.figures.loopLength).toBe(8);
  });

  it('measures a long cycle in one pass (AB repeated 5,000 times)', () => {
    const spans = Array.from({ length: 10_000 }, (_, i) => tool(i % 2 === 0 ? 'read' : 'write', { startMs: i, args: i % 2 }));
    expect(detect(d, spans)?.figures.loopLength).toBe(5_000);
  });

  it('counts each turn (trace) apart: a new user message changes the plan', () => {
    const spans = [...repeated(3, 'search', () => 42, 'a'.repeat(32)), ...repeated(3, 'search', () => 42, 'b'.repeat(32))];
    expect(detect(d, spans)).toBeNull();
  });

  it('ends a run at a different tool call', () => {
    const spans = [...repeated(3, 'search', () => 42), tool('answer', { startMs: 3_200 }), ...repeated(3, 'search', () => 42).map((s) => ({ ...s, startTimeUnixNano: s.startTimeUnixNano + 4_000_000_000n }))];
    expect(detect(d, spans)).toBeNull();
  });
});

describe('DuplicateToolCallDetector', () => {
  const d = new DuplicateToolCallDetector();

  it('fires when one tool call id is executed twice and blames the second execution', () => {
    const first = tool('refund', { startMs: 0, id: 'call_1', args: 7 });
    const again = tool('refund', { startMs: 5_000, id: 'call_1', args: 7 });
    const f = detect(d, [first, tool('lookup', { startMs: 1_000, id: 'call_2' }), again]);
    expect(f).toMatchObject({ fired: true, culpritSpanIds: [again.spanId], figures: { duplicateToolCallIds: ['call_1'] } });
  });

  it('does not fire on a reused id with different arguments (a framework numbering calls per turn)', () => {
    expect(detect(d, [tool('search', { startMs: 0, id: 'call_0', args: 1 }), tool('search', { startMs: 9_000, id: 'call_0', args: 2 })])).toBeNull();
  });

  it('does not fire on one execution instrumented twice (a span nested in the other)', () => {
    const outer = tool('refund', { startMs: 0, endMs: 500, id: 'call_1' });
    const inner = tool('refund', { startMs: 10, endMs: 400, id: 'call_1', parent: outer.spanId });
    expect(detect(d, [outer, inner])).toBeNull();
  });

  it('does not fire on distinct ids', () => {
    expect(detect(d, [tool('refund', { startMs: 0, id: 'a' }), tool('refund', { startMs: 1, id: 'b' })])).toBeNull();
  });
});

describe('BudgetRaceDetector', () => {
  const d = new BudgetRaceDetector(cfg.budgetRace);

  it('fires when a second execution of the same call starts before the first ends', () => {
    const first = tool('deploy', { startMs: 0, endMs: 10_000, id: 'c1' });
    const second = tool('deploy', { startMs: 3_000, endMs: 4_000, id: 'c1' });
    expect(detect(d, [first, second])).toMatchObject({ fired: true, culpritSpanIds: [second.spanId] });
  });

  it('fires when a tool call ends after its caller ended in a timeout', () => {
    const step = agent({ startMs: 0, endMs: 5_000, errorType: 'TimeoutError' });
    const t = tool('crawl', { startMs: 100, endMs: 9_000, parent: step.spanId });
    expect(detect(d, [step, t])).toMatchObject({ fired: true, culpritSpanIds: [t.spanId] });
  });

  it('lists at most MAX_LISTED culprits in the report of a session with hundreds of late tools', () => {
    const step = agent({ startMs: 0, endMs: 1_000 });
    const late = Array.from({ length: 300 }, (_, i) => tool('crawl', { startMs: 10 + i, endMs: 5_000, parent: step.spanId, args: i }));
    const r = new DetectorSet({ config: cfg, priceUsage: () => ({ costUsd: null }) }).detect([step, ...late], []);
    expect(r.report?.fired).toContain('budget_race'); // and runaway: 300 tool calls pass maxToolCalls
    expect(r.report?.culprits.filter((c) => c.reason === 'budget_race')).toHaveLength(MAX_LISTED);
  });

  it('does not fire on parallel calls of one tool with different ids and arguments (near miss)', () => {
    expect(detect(d, [tool('fetch', { startMs: 0, endMs: 900, id: 'a', args: 1 }), tool('fetch', { startMs: 10, endMs: 800, id: 'b', args: 2 })])).toBeNull();
  });

  it('does not fire on a repeat started in the millisecond the first ended (regression: the SDK\'s whole-ms start clock read it as overlapping)', () => {
    const first = tool('deploy', { startMs: 0, endMs: 5, id: 'c1', args: 1 });
    // The OTel JS SDK: end = whole-ms start + a high-resolution duration; the next start is Date.now(), rounded down.
    const endedAt = { ...first, endTimeUnixNano: first.endTimeUnixNano + 600_000n };
    const second = tool('deploy', { startMs: 5, endMs: 9, id: 'c1', args: 1 });
    expect(detect(d, [endedAt, second])).toBeNull();
    // Two milliseconds before the end is an overlap on any clock.
    expect(detect(d, [endedAt, tool('deploy', { startMs: 3, endMs: 9, id: 'c1', args: 1 })])?.fired).toBe(true);
  });

  it('does not fire on a tool ending within toleranceMs of its parent (near miss)', () => {
    const step = agent({ startMs: 0, endMs: 5_000 });
    expect(detect(d, [step, tool('crawl', { startMs: 100, endMs: 5_040, parent: step.spanId })])).toBeNull();
  });
});

describe('StalledDetector', () => {
  const d = new StalledDetector();

  it('fires when the last tool call failed and no model call came after it', () => {
    const failed = tool('charge', { startMs: 2_000, error: true });
    expect(detect(d, [call({ startMs: 0 }), tool('lookup', { startMs: 1_000 }), failed])).toMatchObject({ fired: true, culpritSpanIds: [failed.spanId] });
  });

  it('does not fire when a model call looked at the tool error (near miss)', () => {
    expect(detect(d, [call({ startMs: 0 }), tool('charge', { startMs: 1_000, error: true }), call({ startMs: 2_000 })])).toBeNull();
  });

  it('does not fire when the model call starts in the millisecond the failed tool ended (regression: 18 of 40 SDK sessions kept as stalled)', () => {
    const failed = tool('charge', { startMs: 1_000, endMs: 1_004, error: true });
    // Ends at 1_004.7 ms (whole-ms start + high-resolution duration); the model call's Date.now() start reads 1_004.
    const endedAt = { ...failed, endTimeUnixNano: failed.endTimeUnixNano + 700_000n };
    expect(detect(d, [call({ startMs: 0 }), endedAt, call({ startMs: 1_004 })])).toBeNull();
    // A call that started clearly before the tool ended did not look at its error.
    expect(detect(d, [call({ startMs: 0 }), endedAt, call({ startMs: 1_002 })])?.fired).toBe(true);
  });

  it('fires on a model request whose model call span never arrived (left without an end)', () => {
    const orphan = request(200, { startMs: 0, parent: '9'.repeat(16), url: 'https://api.openai.com/v1/chat/completions' });
    expect(detect(d, [agent({ startMs: 0, spanId: '1'.repeat(16) }), orphan])).toMatchObject({ fired: true, culpritSpanIds: [orphan.spanId] });
  });

  it('does not fire on an orphan request to something that is not a model API', () => {
    expect(detect(d, [request(200, { startMs: 0, parent: '9'.repeat(16), url: 'https://example.com/orders/7' })])).toBeNull();
  });
});
