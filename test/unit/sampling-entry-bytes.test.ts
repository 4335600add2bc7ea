import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DecisionCache, type CachedSession } from '../../src/sampling/decision-cache.js';
import { sessionEntryBytes, traceLinkBytes } from '../../src/sampling/entry-bytes.js';
import { summary } from './sampling-fixtures.js';

/** A full collection (the flag exposed for this process, as bench/sizing/memory.ts does). */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A new string object equal to `s` (as each decoded request gives). */
const fresh = (s: string): string => [...s].join('');
const hex = (i: number, salt: number): string => (i * 7919 + salt).toString(16).padStart(32, '0');
const TOOLS = ['read_file', 'edit_file', 'run_tests', 'search', 'write_file'];

/** A decided session shaped like the sizing traffic's: two traces, ~5 tools, some with an eval or a detector report. */
function session(i: number): CachedSession {
  const s = summary({
    tenantId: fresh('default'),
    sessionId: fresh(`session-${i}-${hex(i, 3).slice(0, 12)}`),
    serviceNames: [fresh('support-agent')],
    agentNames: [fresh('coder-agent')],
    models: [fresh('gemini-2.5-flash')],
    providers: [fresh('gcp.gemini')],
    callModels: [fresh('gemini-2.5-flash')],
    userId: fresh(`user-${i % 500}`),
    traceIds: [hex(i, 1), hex(i, 2)],
    toolPath: Array.from({ length: 2 + (i % 6) }, (_, k) => fresh(TOOLS[(i + k) % TOOLS.length]!)),
    usage: { inputTokens: 7000 + i, outputTokens: 1700 + i, cacheReadTokens: 4000, cacheWriteTokens: 300, reasoningTokens: 0 },
    costUsd: 0.0054 + i * 1e-7,
    evals:
      i % 20 === 0
        ? [{ name: fresh('faithfulness'), score: 0.4, label: null, explanation: fresh('the answer cites no source'), target: { sessionId: null, traceId: hex(i, 1), spanId: hex(i, 4).slice(16) }, source: 'event', timeUnixNano: 1n }]
        : [],
  });
  const decision = { kept: i % 10 === 0, reasons: i % 10 === 0 ? [fresh('baseline')] : [], sampleWeight: i % 10 === 0 ? 20.000000001 : 0, trigger: 'idle' as const, decidedAtMs: 1_796_627_920_714 + i };
  if (i % 50 === 0) Object.assign(decision, { detectors: { fired: ['tool_loop'], figures: { loopLength: 4, toolCalls: 12 }, culprits: [{ spanId: hex(i, 5).slice(16), reason: 'tool_loop' }] } });
  return { decision, summary: s, version: 1, firstDecisionLsn: 70_000_000 + i * 977, decisionLsn: 70_000_000 + i * 977, requestLsns: [62_000_000 + i * 1013, 62_900_000 + i * 1013] };
}

describe('sessionEntryBytes() and traceLinkBytes()', () => {
  it('estimate the heap a cache of decided sessions holds within ±50 %', () => {
    const gc = fullGc();
    const n = 20_000;
    const cache = new DecisionCache({ ttlMs: 3_600_000, maxEntries: 10 * n });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) {
      const e = session(i);
      cache.set(e.summary.tenantId, e.summary.sessionId, e);
      for (const t of e.summary.traceIds) cache.setTrace(e.summary.tenantId, t, e.summary.sessionId);
    }
    gc();
    const measured = process.memoryUsage().heapUsed - before;
    const ratio = cache.bytes / measured;
    expect(cache.size).toBe(n);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(1.5);
  });

  it('grow with what an entry holds alone', () => {
    const e = session(1);
    const more = { ...e, summary: { ...e.summary, traceIds: [...e.summary.traceIds, hex(9, 9)], evals: session(0).summary.evals } };
    expect(sessionEntryBytes(more, 'k')).toBeGreaterThan(sessionEntryBytes(e, 'k') + 100);
    expect(traceLinkBytes('default\u0000' + hex(1, 1))).toBeGreaterThan(traceLinkBytes('k'));
  });
});
