import { describe, expect, it } from 'vitest';
import { Budget } from '../../src/sampling/budget.js';
import { samplingConfig } from './sampling-fixtures.js';

function budget(over: Record<string, unknown> = {}) {
  return new Budget({ config: samplingConfig({ budget: { keptPerMinute: 10, minProbability: 0.01, ...over } }).budget });
}

describe('Budget', () => {
  describe('admit()', () => {
    it('keeps everything under the cap', () => {
      const b = budget();
      for (let i = 0; i < 10; i++) {
        const q = b.admit('t', 'rare_path', 0);
        expect(q('rare_path')).toBe(1);
      }
    });

    it('thins a class whose demand exceeds the cap, by allocation over demand', () => {
      const b = budget();
      let q = b.admit('t', 'baseline', 0);
      for (let i = 1; i < 40; i++) q = b.admit('t', 'baseline', 0);
      expect(q('baseline')).toBeCloseTo(10 / 40, 9);
    });

    it('never thins protected classes and thins lower classes first', () => {
      const b = budget();
      for (let i = 0; i < 8; i++) b.admit('t', 'error', 0);
      for (let i = 0; i < 4; i++) b.admit('t', 'cost_outlier', 0);
      const q = b.admit('t', 'baseline', 0);
      expect(q('error')).toBe(1);
      expect(q('low_eval')).toBe(1);
      // 2 left after errors: cost_outlier demand 4 gets 2, baseline gets nothing (the floor).
      expect(q('cost_outlier')).toBeCloseTo(0.5, 9);
      expect(q('baseline')).toBe(0.01);
    });

    it('uses the previous window as the demand estimate', () => {
      const b = budget();
      for (let i = 0; i < 40; i++) b.admit('t', 'baseline', 0);
      // First session of the next minute is already thinned by last minute's demand.
      expect(b.admit('t', 'baseline', 60_000)('baseline')).toBeCloseTo(0.25, 9);
      // After a quiet minute there is no recent demand.
      expect(b.admit('t', 'baseline', 180_000)('baseline')).toBe(1);
    });

    it('drops thinnable classes to the floor once the window kept the cap', () => {
      const b = budget();
      for (let i = 0; i < 10; i++) b.recordKept('t', 0);
      expect(b.admit('t', 'rare_path', 0)('rare_path')).toBe(0.01);
      expect(b.admit('t', 'error', 0)('error')).toBe(1);
    });

    it('applies per-tenant caps and keeps tenants apart', () => {
      const b = budget({ tenants: { big: 1000 } });
      for (let i = 0; i < 100; i++) b.admit('big', 'baseline', 0);
      for (let i = 0; i < 100; i++) b.admit('small', 'baseline', 0);
      expect(b.admit('big', 'baseline', 0)('baseline')).toBe(1);
      expect(b.admit('small', 'baseline', 0)('baseline')).toBeLessThan(0.11);
    });

    it('follows a configured priority order', () => {
      const b = budget({ priority: ['error', 'low_eval', 'rare_path', 'cost_outlier'] });
      for (let i = 0; i < 10; i++) b.admit('t', 'rare_path', 0);
      const q = b.admit('t', 'cost_outlier', 0);
      expect(q('rare_path')).toBe(1);
      expect(q('cost_outlier')).toBe(0.01);
    });

    it('does nothing when disabled or when nothing voted', () => {
      const off = budget({ enabled: false });
      for (let i = 0; i < 100; i++) off.admit('t', 'baseline', 0);
      expect(off.admit('t', 'baseline', 0)('baseline')).toBe(1);
      const b = budget();
      for (let i = 0; i < 100; i++) b.admit('t', null, 0);
      expect(b.admit('t', 'baseline', 0)('baseline')).toBe(1);
    });
  });

  describe('topClass()', () => {
    it('picks the most important class', () => {
      expect(budget().topClass(['baseline', 'rare_path', 'low_eval'])).toBe('low_eval');
      expect(budget().topClass([])).toBeNull();
    });
  });
});
