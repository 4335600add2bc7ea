/** Sampling decisions. */

/** What made the session complete. */
export type DecisionTrigger =
  | 'idle'
  | 'max_age'
  | 'max_spans'
  | 'max_bytes'
  | 'early:memory'
  | 'shutdown'
  | 'upgrade';

export interface Decision {
  kept: boolean;
  /**
   * Every policy that voted keep ('error', 'rare_path', 'cost_outlier', 'low_eval', 'latency',
   * 'rule:<name>', 'baseline', the detectors' 'tool_loop', 'retry_storm', ... of detectors/detector.ts), plus markers: 'early:memory', 'upgrade:<policy>', 'budget:thinned',
   * 'drop:<rule>' for an explicit drop; 'shared' / 'upgrade:shared' when another instance kept the session.
   */
  reasons: string[];
  /** 1 / probability of keeping a session like this one; re-weights counts of kept sessions. */
  sampleWeight: number;
  trigger: DecisionTrigger;
  /** Wall clock of the decision, ms since the epoch. */
  decidedAtMs: number;
  /** What the detectors found (absent when nothing): fired detectors, figures, culprit spans. */
  detectors?: DetectorReport;
  /** Error spans the errors policy excused as refusals retried successfully (absent when none). */
  excusedErrors?: number;
}

/** Every detector's reason, in the order they run and appear on decisions. */
export const DETECTOR_REASONS = ['tool_loop', 'retry_storm', 'duplicate_tool_call', 'budget_race', 'stalled', 'runaway', 'cache_collapse', 'cache_churn'] as const;
export type DetectorReason = (typeof DETECTOR_REASONS)[number];

/** What the detectors measured on a session (session row columns, schema/009_detectors.sql). */
export interface DetectorFigures {
  /** tool_loop: repeats of the looping call or cycle. */
  loopLength: number;
  /** Provider refusals seen (recorded from the first one, whether or not they make a storm). */
  refusals: number;
  /** The same, per provider of the refused model call. */
  refusalsByProvider: Record<string, number>;
  /** Seconds from the first refusal to the end of the first successful attempt after it (or of the last refusal). */
  backoffSeconds: number;
  /** duplicate_tool_call: the tool call ids executed more than once. */
  duplicateToolCallIds: string[];
  /** runaway: model and tool calls in the session, and the largest input of a call over the first call's. */
  modelCalls: number;
  toolCalls: number;
  contextGrowth: number;
  /** cache_collapse: input tokens that would have been read from the cache on the calls after the collapse. */
  cacheMissedTokens: number;
  /** cache_collapse: what those tokens cost above their cache-read price, at catalog prices (USD). */
  cacheCollapseExtraUsd: number;
  /** cache_churn: what the cache writes cost above plain input, at catalog prices (USD). */
  cacheChurnExtraUsd: number;
}

/** Carried on the Decision (and so in the WAL decision record), read by the session and span row builders. */
export interface DetectorReport {
  /** Detectors that fired, in reason order. */
  fired: DetectorReason[];
  /** Figures of the findings (fired ones, and refusals under the storm threshold). */
  figures: Partial<DetectorFigures>;
  /** Spans at fault, each with the detector that blames it. */
  culprits: { spanId: string; reason: DetectorReason }[];
}
