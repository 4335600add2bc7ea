import { describe, expect, it } from 'vitest';
import { CostOutlierPolicy, sessionTokens } from '../../src/sampling/policies/cost-outlier.js';
import { samplingConfig, summary, view } from './sampling-fixtures.js';

function policy(over: Record<string, unknown> = {}) {
  return new CostOutlierPolicy({
    config: samplingConfig({ policies: { costOutlier: { warmupCount: 50, maxCostUsd: 10, maxTokens: 1_000_000, ...over } } }).policies.costOutlier,
  });
}

/** Votes, then learns, as the engine does for each decided session. */
function decide(p: CostOutlierPolicy, v: ReturnType<typeof view>) {
  const vote = p.vote(v);
  p.learn(v);
  return vote;
}

const usage = (inputTokens: number) => ({ inputTokens, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });

describe('CostOutlierPolicy', () => {
  describe('vote()', () => {
    it('keeps a session above the cost ceiling even before warm-up', () => {
      expect(policy().vote(view({ costUsd: 10.5 }))).toEqual({ reason: 'cost_outlier', policyClass: 'cost_outlier', probability: 1 });
    });

    it('keeps a session above the token ceiling', () => {
      expect(policy().vote(view({ costUsd: 0, usage: usage(1_000_000) }))?.reason).toBe('cost_outlier');
    });

    it('does not use the quantile before the warm-up count', () => {
      const p = policy();
      for (let i = 0; i < 10; i++) decide(p, view({ sessionId: `s${i}`, costUsd: 0.01 }));
      expect(p.vote(view({ costUsd: 1 }))).toBeNull();
    });

    it('keeps a session far above the learned quantile after warm-up, not an ordinary one', () => {
      const p = policy();
      for (let i = 0; i < 100; i++) expect(decide(p, view({ sessionId: `s${i}`, costUsd: 0.01 + (i % 10) * 0.001, usage: usage(1000 + (i % 10) * 10) }))).toBeNull();
      expect(p.vote(view({ sessionId: 'ordinary', costUsd: 0.012, usage: usage(1010) }))).toBeNull();
      expect(p.vote(view({ sessionId: 'pricey', costUsd: 0.5, usage: usage(1010) }))?.reason).toBe('cost_outlier');
      expect(p.vote(view({ sessionId: 'wordy', costUsd: 0.012, usage: usage(50_000) }))?.reason).toBe('cost_outlier');
    });

    it('learns per tenant and agent', () => {
      const p = policy();
      for (let i = 0; i < 100; i++) decide(p, view({ sessionId: `s${i}`, agentNames: ['cheap'], costUsd: 0.01 }));
      for (let i = 0; i < 100; i++) decide(p, view({ sessionId: `s${i}`, agentNames: ['big'], costUsd: 1 }));
      expect(p.vote(view({ agentNames: ['big'], costUsd: 1 }))).toBeNull();
      expect(p.vote(view({ agentNames: ['cheap'], costUsd: 1 }))?.reason).toBe('cost_outlier');
    });

    it('flags nothing when every session costs the same', () => {
      const p = policy();
      let votes = 0;
      for (let i = 0; i < 200; i++) if (decide(p, view({ sessionId: `s${i}`, costUsd: 0.02 })) !== null) votes++;
      expect(votes).toBe(0);
    });
  });

  describe('sessionTokens()', () => {
    it('counts input (cache inclusive) plus output', () => {
      expect(sessionTokens(summary({ usage: usage(500) }))).toBe(600);
    });
  });
});
