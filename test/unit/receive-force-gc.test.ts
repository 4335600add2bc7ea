import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { collectGarbage, compactGarbage } from '../../src/receive/force-gc.js';

describe('collectGarbage', () => {
  it('runs a full (mark-compact) collection that frees unreachable memory at once', async () => {
    const seen: PerformanceEntry[] = [];
    const obs = new PerformanceObserver((list) => seen.push(...list.getEntries()));
    obs.observe({ entryTypes: ['gc'] });
    try {
      let junk: object[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` }));
      expect(junk.length).toBe(200_000);
      const before = process.memoryUsage().heapUsed;
      junk = null;
      seen.length = 0;
      expect(collectGarbage()).toBe(true);
      // Nothing was allocated between dropping the objects and the call, so only the forced collection freed them.
      expect(process.memoryUsage().heapUsed).toBeLessThan(before - 5 * 1024 * 1024);
      // GC entries reach observers asynchronously.
      for (let i = 0; i < 50 && !seen.some(isMajor); i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen.some(isMajor)).toBe(true);
    } finally {
      obs.disconnect();
    }
  });
});

describe('compactGarbage', () => {
  it('frees unreachable memory at once, as the plain collection does (its compaction is measured from outside: bench/buffered-rss.ts)', () => {
    let junk: object[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `z${i}` }));
    expect(junk.length).toBe(200_000);
    const before = process.memoryUsage().heapUsed;
    junk = null;
    expect(compactGarbage()).toBe(true);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 5 * 1024 * 1024);
  });
});

function isMajor(e: PerformanceEntry): boolean {
  return (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}
