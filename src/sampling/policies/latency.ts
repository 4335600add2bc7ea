/** Policy `latency`: keep sessions that took unusually long for their tenant + agent. */
import type { SamplingConfig } from '../../config/sampling.js';
import type { SessionSummary } from '../../model/session.js';
import type { SessionView } from '../../model/session-view.js';
import { QuantileTracker } from '../sketches/quantile-tracker.js';
import { agentKeyOfView } from './cost-outlier.js';
import { voteList, type KeepPolicy, type Learner } from './policy.js';
import type { Vote } from '../basis/vote.js';

type LatencyConfig = SamplingConfig['policies']['latency'];

/** Session duration in ms: last span end minus first span start (0 when the times are inverted). */
export function sessionDurationMs(summary: SessionSummary): number {
  const ns = summary.endTimeUnixNano - summary.startTimeUnixNano;
  return ns > 0n ? Number(ns / 1000n) / 1000 : 0;
}

/** Votes keep when the duration exceeds a ceiling or (after warm-up) the quantile; learns every duration. */
export class LatencyPolicy implements KeepPolicy, Learner {
  readonly name = 'latency';
  private readonly config: LatencyConfig;
  private readonly durations: QuantileTracker;

  constructor(params: { config: LatencyConfig }) {
    this.config = params.config;
    this.durations = new QuantileTracker({ maxKeys: params.config.maxKeys });
  }

  /** A certain keep vote for a slow session, else null. Learns nothing: the quantile is that of the sessions before. */
  vote(view: SessionView): Vote | null {
    const durationMs = sessionDurationMs(view.summary);
    const { maxDurationMs, quantile, warmupCount } = this.config;
    let slow = maxDurationMs !== null && durationMs > maxDurationMs;
    if (!slow) {
      slow = this.durations.isAbove(agentKeyOfView(view), durationMs, quantile, warmupCount);
    }
    return slow ? { reason: 'latency', policyClass: 'latency', probability: 1 } : null;
  }

  /** The vote as a list (the KeepPolicy form). */
  votes(view: SessionView): readonly Vote[] {
    return voteList(this.vote(view));
  }

  /** Learns one decided session's duration. */
  learn(view: SessionView): void {
    this.durations.add(agentKeyOfView(view), sessionDurationMs(view.summary));
  }
}
