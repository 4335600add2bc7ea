import { describe, expect, it } from 'vitest';
import { LowEvalPolicy } from '../../src/sampling/policies/low-eval.js';
import { evalResult, samplingConfig, span, view } from './sampling-fixtures.js';

describe('LowEvalPolicy', () => {
  const config = samplingConfig({ policies: { lowEval: { defaultThreshold: 0.5, thresholds: { rating: 3 } } } }).policies.lowEval;
  const policy = new LowEvalPolicy({ config });

  describe('isLow()', () => {
    it('compares scores with the default threshold', () => {
      expect(policy.isLow(evalResult({ score: 0.49 }))).toBe(true);
      expect(policy.isLow(evalResult({ score: 0.5 }))).toBe(false);
    });

    it('uses the per-name threshold', () => {
      expect(policy.isLow(evalResult({ name: 'rating', score: 2.9 }))).toBe(true);
      expect(policy.isLow(evalResult({ name: 'rating', score: 4 }))).toBe(false);
    });

    it('treats failing labels case-insensitively and ignores passing ones', () => {
      expect(policy.isLow(evalResult({ score: null, label: 'Hallucinated' }))).toBe(true);
      expect(policy.isLow(evalResult({ score: null, label: 'correct' }))).toBe(false);
    });

    it('ignores a NaN score', () => {
      expect(policy.isLow(evalResult({ score: Number.NaN }))).toBe(false);
    });
  });

  describe('vote()', () => {
    it('keeps a session with a low eval on its summary', () => {
      expect(policy.vote(view({ evals: [evalResult(), evalResult({ score: 0.1 })] }))).toEqual({ reason: 'low_eval', policyClass: 'low_eval', probability: 1 });
    });

    it('keeps a session with a low eval still on a span', () => {
      expect(policy.vote(view({}, [span({ evals: [evalResult({ label: 'toxic', score: null })] })]))?.reason).toBe('low_eval');
    });

    it('does not vote when every eval passes', () => {
      expect(policy.vote(view({ evals: [evalResult({ score: 0.8 })] }))).toBeNull();
    });
  });
});
