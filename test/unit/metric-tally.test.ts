import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TalliedCounter } from '../../src/metric-tally.js';

function counter(registry: Registry): TalliedCounter<'outcome' | 'reason'> {
  return new TalliedCounter({ name: 'test_tallied_total', help: 'A tallied counter.', labelNames: ['outcome', 'reason'], registers: [registry] });
}

describe('TalliedCounter', () => {
  describe('slot', () => {
    it('shows slot counts under their labels when the registry is scraped', async () => {
      const registry = new Registry();
      const c = counter(registry);
      const kept = c.slot({ outcome: 'kept', reason: 'error' });
      const dropped = c.slot({ outcome: 'dropped', reason: 'none' });
      kept.n += 2;
      dropped.n += 1;
      const text = await registry.metrics();
      expect(text).toContain('test_tallied_total{outcome="kept",reason="error"} 2');
      expect(text).toContain('test_tallied_total{outcome="dropped",reason="none"} 1');
    });

    it('adds each count once across reads, and counts made after a read show at the next one', async () => {
      const registry = new Registry();
      const c = counter(registry);
      const s = c.slot({ outcome: 'kept', reason: 'baseline' });
      s.n += 3;
      const first = await c.counter.get();
      expect(first.values).toEqual([{ value: 3, labels: { outcome: 'kept', reason: 'baseline' } }]);
      expect((await c.counter.get()).values[0]!.value).toBe(3);
      s.n += 4;
      expect((await registry.getSingleMetric('test_tallied_total')!.get()).values[0]!.value).toBe(7);
    });

    it('shows no series for a label set never counted', async () => {
      const registry = new Registry();
      const c = counter(registry);
      c.slot({ outcome: 'kept', reason: 'latency' });
      expect((await c.counter.get()).values).toEqual([]);
    });

    it('keeps the labels given when the slot was made, even if the caller changes its object later', async () => {
      const registry = new Registry();
      const c = counter(registry);
      const labels = { outcome: 'kept', reason: 'error' };
      const s = c.slot(labels);
      labels.reason = 'other';
      s.n += 1;
      expect((await c.counter.get()).values[0]!.labels).toEqual({ outcome: 'kept', reason: 'error' });
    });
  });

  describe('keyed', () => {
    it('makes one slot per key on first use and gives it back after, each under its own labels', async () => {
      const registry = new Registry();
      const c = counter(registry);
      const made: string[] = [];
      const byReason = c.keyed((reason: string) => {
        made.push(reason);
        return { outcome: 'kept', reason };
      });
      byReason('error').n += 1;
      byReason('baseline').n += 1;
      byReason('error').n += 2;
      expect(byReason('error')).toBe(byReason('error'));
      expect(made).toEqual(['error', 'baseline']);
      const values = (await c.counter.get()).values.map((v) => [v.labels.reason, v.value]);
      expect(values).toEqual([
        ['error', 3],
        ['baseline', 1],
      ]);
    });
  });
});
