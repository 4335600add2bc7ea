/** Policy `cost_outlier`: keep sessions whose cost or tokens are unusually high for their tenant + agent. */
import type { SamplingConfig } from '../../config/sampling.js';
import type { SessionSummary } from '../../model/session.js';
import type { SessionView } from '../../model/session-view.js';
import { QuantileTracker } from '../sketches/quantile-tracker.js';
import { fenceThreshold } from './outlier-fence.js';
import { perView, voteList, type KeepPolicy, type Learner } from './policy.js';
import type { Vote } from '../basis/vote.js';

type CostOutlierConfig = SamplingConfig['policies']['costOutlier'];

/** Tokens of a session as the cost policy counts them: input (inclusive of cache) + output. */
export function sessionTokens(summary: SessionSummary): number {
  return summary.usage.inputTokens + summary.usage.outputTokens;
}

/** The quantile key of a session: tenant + its (sorted) agents. */
export function agentKey(summary: SessionSummary): string {
  return agentKeyOf(summary.tenantId, summary.agentNames);
}

/** The agent key of a view's session, derived once per view (vote and learn, of this policy and latency's). */
export const agentKeyOfView = perView((view) => agentKey(view.summary));

/** The quantile key of a tenant and a set of agent names (warm start builds it from stored rows). */
export function agentKeyOf(tenantId: string, agentNames: readonly string[]): string {
  return `${tenantId}\u0000${[...agentNames].sort().join(',')}`;
}

/**
 * Votes keep when cost or tokens exceed an absolute ceiling, or (after `warmupCount` sessions of the same
 * tenant + agent) the robust fence of what was seen before (src/sampling/policies/outlier-fence.ts).
 * Voting reads; `learn()` teaches: the engine learns every decided session after its vote.
 */
export class CostOutlierPolicy implements KeepPolicy, Learner {
  readonly name = 'cost_outlier';
  private readonly config: CostOutlierConfig;
  private readonly cost: QuantileTracker;
  private readonly tokens: QuantileTracker;

  constructor(params: { config: CostOutlierConfig }) {
    this.config = params.config;
    this.cost = new QuantileTracker({ maxKeys: params.config.maxKeys });
    this.tokens = new QuantileTracker({ maxKeys: params.config.maxKeys });
  }

  /** A certain keep vote for an outlier, else null. Learns nothing. */
  vote(view: SessionView): Vote | null {
    const { summary } = view;
    const { maxCostUsd, maxTokens } = this.config;
    const costUsd = summary.costUsd;
    const tokens = sessionTokens(summary);
    let outlier = (maxCostUsd !== null && costUsd > maxCostUsd) || (maxTokens !== null && tokens > maxTokens);
    if (!outlier) {
      const key = agentKeyOfView(view);
      outlier = this.above(this.cost, key, costUsd) || this.above(this.tokens, key, tokens);
    }
    return outlier ? { reason: 'cost_outlier', policyClass: 'cost_outlier', probability: 1 } : null;
  }

  /** The vote as a list (the KeepPolicy form). */
  votes(view: SessionView): readonly Vote[] {
    return voteList(this.vote(view));
  }

  /** Learns one decided session's cost and tokens. */
  learn(view: SessionView): void {
    this.learnValues(agentKeyOfView(view), view.summary.costUsd, sessionTokens(view.summary));
  }

  /** Learns one session's values under `key` (warm start feeds stored sessions through it). */
  learnValues(key: string, costUsd: number, tokens: number): void {
    this.cost.add(key, costUsd);
    this.tokens.add(key, tokens);
  }

  /** True while this tenant + agent set has taught the quantiles fewer sessions than the warm-up (warm start seeds it). */
  isCold(tenantId: string, agentNames: readonly string[]): boolean {
    return this.count(agentKeyOf(tenantId, agentNames)) < this.config.warmupCount;
  }

  /** Sessions learned for `key` (the larger of the two trackers, which may forget keys apart). */
  count(key: string): number {
    return Math.max(this.cost.count(key), this.tokens.count(key));
  }

  private above(tracker: QuantileTracker, key: string, value: number): boolean {
    const { warmupCount, quantile } = this.config;
    if (this.config.threshold === 'quantile') return tracker.isAbove(key, value, quantile, warmupCount);
    const q = tracker.quartiles(key, warmupCount);
    return q !== null && tracker.exceeds(value, fenceThreshold(q, this.config.fenceK, this.config.minRatio));
  }
}
