import { describe, expect, it } from 'vitest';
import { QuantileTracker } from '../../src/sampling/sketches/quantile-tracker.js';

describe('QuantileTracker', () => {
  describe('quantile()', () => {
    it('is null before the warm-up count and close to the true quantile after', () => {
      const t = new QuantileTracker({ maxKeys: 10 });
      for (let i = 1; i <= 99; i++) t.add('k', i);
      expect(t.quantile('k', 0.9, 100)).toBeNull();
      t.add('k', 100);
      const q = t.quantile('k', 0.9, 100)!;
      expect(q).toBeGreaterThan(88);
      expect(q).toBeLessThan(92);
    });

    it('accepts zero and ignores non-finite values', () => {
      const t = new QuantileTracker({ maxKeys: 10 });
      t.add('k', 0);
      t.add('k', Number.NaN);
      t.add('k', Number.POSITIVE_INFINITY);
      expect(t.count('k')).toBe(1);
    });
  });

  describe('isAbove()', () => {
    it('flags values beyond the quantile plus the sketch error only', () => {
      const t = new QuantileTracker({ maxKeys: 10 });
      for (let i = 0; i < 100; i++) t.add('k', 5);
      expect(t.isAbove('k', 5, 0.99, 10)).toBe(false);
      expect(t.isAbove('k', 5.5, 0.99, 10)).toBe(true);
    });
  });

  describe('size', () => {
    it('holds at most maxKeys sketches', () => {
      const t = new QuantileTracker({ maxKeys: 3 });
      for (let i = 0; i < 10; i++) t.add(`k${i}`, 1);
      expect(t.size).toBe(3);
      expect(t.count('k0')).toBe(0);
      expect(t.count('k9')).toBe(1);
    });
  });
});
