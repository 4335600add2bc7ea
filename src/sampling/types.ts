/** Sampling decisions. */
import type { DetectorReport } from './detectors/report.js';

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
