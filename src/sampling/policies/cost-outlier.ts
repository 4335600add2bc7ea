/** Policy `cost_outlier`: keep sessions whose cost or tokens are unusually high for their tenant + agent. */
import type { SamplingConfig } from '../../config/sampling.js';
import type { SessionSummary } from '../../sessions/types.js';
import type { SessionView } from '../session-view.js';
import { QuantileTracker } from '../sketches/quantile-tracker.js';
import type { Vote } from './vote.js';

type CostOutlierConfig = SamplingConfig['policies']['costOutlier'];

/** Tokens of a session as the cost policy counts them: input (inclusive of cache) + output. */
export function sessionTokens(summary: SessionSummary): number {
  return summary.usage.inputTokens + summary.usage.outputTokens;
}

/** The quantile key of a session: tenant + its (sorted) agents. */
export function agentKey(summary: SessionSummary): string {
  return `${summary.tenantId}\u0000${[...summary.agentNames].sort().join(',')}`;
}

/**
 * Votes keep when cost or tokens exceed an absolute ceiling, or (after `warmupCount` sessions of the same
 * tenant + agent) exceed the configured quantile of what was seen before. Learns every session's values.
 */
export class CostOutlierPolicy {
  private readonly config: CostOutlierConfig;
  private readonly cost: QuantileTracker;
  private readonly tokens: QuantileTracker;

  constructor(params: { config: CostOutlierConfig }) {
    this.config = params.config;
    this.cost = new QuantileTracker({ maxKeys: params.config.maxKeys });
    this.tokens = new QuantileTracker({ maxKeys: params.config.maxKeys });
  }

  /** A certain keep vote for an outlier, else null. Learns the session's cost and tokens either way. */
  vote(view: SessionView): Vote | null {
    const { summary } = view;
    const key = agentKey(summary);
    const costUsd = summary.costUsd;
    const tokens = sessionTokens(summary);
    const { maxCostUsd, maxTokens, quantile, warmupCount } = this.config;

    let outlier = (maxCostUsd !== null && costUsd > maxCostUsd) || (maxTokens !== null && tokens > maxTokens);
    if (!outlier) {
      outlier = this.cost.isAbove(key, costUsd, quantile, warmupCount) || this.tokens.isAbove(key, tokens, quantile, warmupCount);
    }
    this.cost.add(key, costUsd);
    this.tokens.add(key, tokens);
    return outlier ? { reason: 'cost_outlier', policyClass: 'cost_outlier', probability: 1 } : null;
  }
}
