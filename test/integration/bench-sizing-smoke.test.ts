/**
 * Smoke test of the sizing bench (bench/sizing/): a few thousand spans through every stage, the memory runs and the
 * embedded store, then the table. Checks the result's shape and that every figure is a positive, finite number; no
 * timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { markdownTable } from '../../bench/sizing/report.js';
import { runSizing } from '../../bench/sizing/run.js';
import { STAGES } from '../../bench/sizing/stages.js';

const positive = (x: number): void => {
  expect(Number.isFinite(x)).toBe(true);
  expect(x).toBeGreaterThan(0);
};

describe('bench/sizing', () => {
  describe('runSizing', () => {
    it('measures every stage, memory per span and per decision, and disk in the log and in ClickHouse', async () => {
      // 12 requests (~580 sessions) for the memory runs: with 4 (192 sessions) the heap noise of a full collection (tens of KB) could turn a per-decision figure negative under a loaded suite.
      const r = await runSizing({ requests: 4, rounds: 1, memoryRequests: 12 });

      expect(r.stages.map((s) => s.stage)).toEqual([...STAGES]);
      for (const s of r.stages) {
        expect(s.spans).toBeGreaterThan(1_000);
        for (const x of [s.cpuUsPerSpan, s.wallUsPerSpan, s.spansPerS, ...s.cpuUsPerSpanRange]) positive(x);
      }

      expect(r.memory.map((m) => m.leanSpans)).toEqual([false, true]);
      for (const m of r.memory) {
        expect(m.spans).toBeGreaterThan(1_000);
        expect(m.sessions).toBeGreaterThan(0);
        for (const x of [m.wireBytesPerSpan, m.heapBytesPerBufferedSpan, m.accountedBytesPerSpan, m.heapBytesLeftPerDecision, m.heapBytesCachePerDecision, m.walBytesPerSpanRequests]) positive(x);
        // The log holds every request's bytes, and decision records besides.
        expect(m.walBytesPerSpanRequests).toBeGreaterThan(m.wireBytesPerSpan);
        expect(m.walBytesPerSpanWithDecisions).toBeGreaterThan(m.walBytesPerSpanRequests);
      }

      for (const table of ['spans', 'sessions']) {
        const t = r.clickhouse.merged.find((x) => x.table === table);
        expect(t, table).toBeDefined();
        positive(t!.rows);
        positive(t!.bytesOnDisk);
        expect(t!.uncompressedBytes).toBeGreaterThan(0);
      }
      expect(r.clickhouse.spansIngested).toBeGreaterThan(r.clickhouse.merged.find((x) => x.table === 'spans')!.rows);
      expect(r.machine.cores).toBeGreaterThan(0);

      const md = markdownTable(r, '`cmd`');
      expect(md.split('\n').filter((l) => l.startsWith('| ')).length).toBe(1 + STAGES.length + 1 + 2 + 4 + 1);
      expect(md).toContain('decode workers');
    });
  });
});
