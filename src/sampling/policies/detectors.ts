/**
 * The detectors as one keep policy: the detector set (src/sampling/detectors/) casts a vote for each pattern that
 * fired, in the detectors' own order, at the detectors' place among the votes.
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import { DetectorSet } from '../detectors/detector-set.js';
import type { PriceUsage } from '../detectors/session-spans.js';
import type { SessionView } from '../../model/session-view.js';
import type { KeepPolicy, VoteContext } from './policy.js';
import type { Vote } from '../basis/vote.js';

/**
 * Votes keep (class `detector`) for every detector that fired. Its report (figures and culprits, also of findings that
 * did not fire) goes into the decision's notes: one pass over the spans yields both, so the report is not a second call.
 */
export class DetectorPolicy implements KeepPolicy {
  readonly name = 'detectors';
  private readonly set: DetectorSet;

  constructor(params: { config: DetectorsConfig; priceUsage: PriceUsage }) {
    this.set = new DetectorSet(params);
  }

  /** The fired detectors' votes; notes the report when there is one. */
  votes(view: SessionView, ctx: VoteContext): readonly Vote[] {
    const detection = this.set.detect(view.spans, view.summary.agentNames);
    if (detection.report !== null) ctx.notes.detectors = detection.report;
    return detection.votes;
  }
}
