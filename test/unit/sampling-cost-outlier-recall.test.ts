import { describe, expect, it } from 'vitest';
import { DecisionEngine } from '../../src/sampling/engine.js';
import { CostOutlierPolicy } from '../../src/sampling/policies/cost-outlier.js';
import { fenceThreshold } from '../../src/sampling/policies/outlier-fence.js';
import type { Decision } from '../../src/model/decision.js';
import { quietConfig, samplingConfig, view } from './sampling-fixtures.js';
import { labelledStream, type OrdinaryShape, type StreamSession } from './sampling-outlier-stream.js';

const usage = (tokens: number) => ({ inputTokens: Math.round(tokens * 0.85), outputTokens: tokens - Math.round(tokens * 0.85), cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
const sessionView = (s: StreamSession, i: number) => view({ sessionId: `s${i}`, costUsd: s.costUsd, usage: usage(s.tokens) });

/** A history of 500 sessions like `stream`'s (outliers included), as warm start or an earlier run would have taught. */
const history = (stream: Parameters<typeof labelledStream>[0]) => labelledStream({ ...stream, count: 500, seed: stream.seed + 1 });

/**
 * Recall on outliers and the share of ordinary sessions flagged, voting then learning each session in turn, after
 * learning a history (the first sessions of a cold key are the warm-up's, not the threshold's: see warm-start tests).
 */
function run(p: Parameters<typeof labelledStream>[0], over: Record<string, unknown> = {}): { recall: number; ordinaryFlagged: number } {
  const policy = new CostOutlierPolicy({ config: samplingConfig({ policies: { costOutlier: { maxCostUsd: null, maxTokens: null, ...over } } }).policies.costOutlier });
  history(p).forEach((s, i) => policy.learn(sessionView(s, -1 - i)));
  const stream = labelledStream(p);
  let outliers = 0;
  let caught = 0;
  let ordinary = 0;
  let flagged = 0;
  stream.forEach((s, i) => {
    const v = sessionView(s, i);
    const voted = policy.vote(v) !== null;
    policy.learn(v);
    if (s.outlier) {
      outliers++;
      if (voted) caught++;
    } else {
      ordinary++;
      if (voted) flagged++;
    }
  });
  return { recall: caught / outliers, ordinaryFlagged: flagged / ordinary };
}

const CASES: { share: number; count: number }[] = [
  { share: 0.01, count: 20_000 },
  { share: 0.05, count: 10_000 },
  { share: 0.001, count: 60_000 },
];
const SHAPES: OrdinaryShape[] = ['lognormal', 'turns'];

describe('CostOutlierPolicy', () => {
  describe('vote() with the fence threshold', () => {
    for (const shape of SHAPES) {
      for (const { share, count } of CASES) {
        it(`keeps ≥ 99 % of a ${share * 100} % share of 40× outliers among ${shape} sessions and flags ≤ 0.5 % of the ordinary ones`, () => {
          const { recall, ordinaryFlagged } = run({ count, share, factor: 40, shape, seed: 7 });
          expect(recall).toBeGreaterThanOrEqual(0.99);
          expect(ordinaryFlagged).toBeLessThanOrEqual(0.005);
        });
      }
    }

    it('learns nothing while voting: the same session votes the same however often it is asked', () => {
      const p = new CostOutlierPolicy({ config: samplingConfig({ policies: { costOutlier: { warmupCount: 5 } } }).policies.costOutlier });
      for (let i = 0; i < 5; i++) p.learn(view({ sessionId: `s${i}`, costUsd: 0.01 }));
      for (let i = 0; i < 100; i++) expect(p.vote(view({ costUsd: 1 }))?.reason).toBe('cost_outlier');
      expect(p.count(`t1\u0000support`)).toBe(5);
    });
  });

  describe('vote() with the quantile threshold', () => {
    it('misses outliers hidden in their own p99.5 at a 1 % share (why fence is the default)', () => {
      const { recall } = run({ count: 20_000, share: 0.01, factor: 40, shape: 'lognormal', seed: 7 }, { threshold: 'quantile' });
      expect(recall).toBeLessThan(0.9);
    });
  });
});

describe('fenceThreshold()', () => {
  it('is q75 · (q75 / q25)^k when that is above minRatio × median', () => {
    expect(fenceThreshold({ q25: 100, q50: 150, q75: 200 }, 2, 1)).toBeCloseTo(800);
  });

  it('is minRatio × median for a flat history', () => {
    expect(fenceThreshold({ q25: 100, q50: 100, q75: 100 }, 2, 3)).toBe(300);
  });

  it('falls back to the linear fence when the lower quartile is zero', () => {
    expect(fenceThreshold({ q25: 0, q50: 0, q75: 1 }, 2, 3)).toBe(3);
  });
});

describe('DecisionEngine', () => {
  describe('decide() with cost_outlier and the baseline', () => {
    it('keeps ordinary sessions at the baseline rate ± 0.5 pt while keeping ≥ 99 % of a 1 % share of outliers', () => {
      const p = { count: 20_000, share: 0.01, factor: 40, shape: 'turns' as const, seed: 11 };
      const stream = labelledStream(p);
      const config = (costOutlier: boolean) => samplingConfig(quietConfig({ baselineRate: 0.05, policies: { costOutlier: { enabled: costOutlier, maxCostUsd: null, maxTokens: null }, baseline: { enabled: true } } }));
      const withPolicy = new DecisionEngine({ config: config(true), now: () => 1_000 });
      const baselineOnly = new DecisionEngine({ config: config(false), now: () => 1_000 });
      const learned: Decision = { kept: false, reasons: [], sampleWeight: 0, trigger: 'idle', decidedAtMs: 1_000 };
      history(p).forEach((s, i) => withPolicy.learn(sessionView(s, -1 - i), learned));
      let ordinary = 0;
      let keptWith = 0;
      let keptBaseline = 0;
      let outliers = 0;
      let caught = 0;
      stream.forEach((s, i) => {
        const v = sessionView(s, i);
        const d = withPolicy.decide(v, 'idle');
        const b = baselineOnly.decide(v, 'idle');
        if (s.outlier) {
          outliers++;
          if (d.reasons.includes('cost_outlier')) caught++;
          return;
        }
        ordinary++;
        if (d.kept) keptWith++;
        if (b.kept) keptBaseline++;
      });
      expect(caught / outliers).toBeGreaterThanOrEqual(0.99);
      expect(Math.abs(keptWith / ordinary - keptBaseline / ordinary)).toBeLessThanOrEqual(0.005);
    });
  });
});
