import { describe, expect, it } from 'vitest';
import { DecayingCountMin } from '../../src/sampling/sketches/decaying-count-min.js';

const HOUR = 3_600_000;

describe('DecayingCountMin', () => {
  describe('estimate()', () => {
    it('counts keys and never undercounts', () => {
      const s = new DecayingCountMin({ width: 64, depth: 4, halfLifeMs: HOUR, startMs: 0 });
      for (let i = 0; i < 500; i++) s.add(`k${i % 50}`, 0);
      for (let i = 0; i < 50; i++) expect(s.estimate(`k${i}`, 0)).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(s.estimate('never', 0)).toBeLessThan(50);
      expect(s.total(0)).toBeCloseTo(500, 6);
    });

    it('is exact without collisions', () => {
      const s = new DecayingCountMin({ width: 4096, depth: 4, halfLifeMs: HOUR, startMs: 0 });
      s.add('a', 0, 3);
      s.add('b', 0);
      expect(s.estimate('a', 0)).toBeCloseTo(3, 9);
      expect(s.estimate('b', 0)).toBeCloseTo(1, 9);
      expect(s.estimate('c', 0)).toBe(0);
    });

    it('halves counts every half-life', () => {
      const s = new DecayingCountMin({ width: 1024, depth: 4, halfLifeMs: HOUR, startMs: 1000 });
      s.add('a', 1000, 8);
      expect(s.estimate('a', 1000 + HOUR)).toBeCloseTo(4, 9);
      expect(s.estimate('a', 1000 + 3 * HOUR)).toBeCloseTo(1, 9);
      expect(s.total(1000 + 3 * HOUR)).toBeCloseTo(1, 9);
    });

    it('keeps its clock when a time goes backwards', () => {
      const s = new DecayingCountMin({ width: 1024, depth: 4, halfLifeMs: HOUR, startMs: 0 });
      s.add('a', HOUR, 2);
      expect(s.estimate('a', 0)).toBeCloseTo(2, 9);
    });

    it('rescales after many half-lives without losing counts', () => {
      const s = new DecayingCountMin({ width: 1024, depth: 2, halfLifeMs: 1000, startMs: 0 });
      s.add('a', 0);
      for (let t = 1; t <= 100; t++) s.add('a', t * 1000);
      // Geometric sum 1 + 1/2 + 1/4 + ... → 2.
      expect(s.estimate('a', 100_000)).toBeCloseTo(2, 6);
      expect(Number.isFinite(s.total(100_000))).toBe(true);
    });
  });
});
