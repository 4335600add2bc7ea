/**
 * Policy `error`: keep every session with an error span. A refusal the client retried successfully (an HTTP 429 under
 * a model call that then succeeded) is not an error of the session: it counts toward `retry_storm` instead
 * (src/sampling/detectors/retried-refusal.ts). A model call that finally failed still is.
 */
import { retriedRefusalCount } from '../detectors/retried-refusal.js';
import type { SessionView } from '../../model/session-view.js';
import type { Decision } from '../../model/decision.js';
import { voteList, type KeepPolicy, type Upgrader, type VoteContext } from './policy.js';
import type { Vote } from '../basis/vote.js';

/** Votes keep when any span is an error (status error, error.type, exception event, failed tool call) not excused as a retried refusal. */
export class ErrorPolicy implements KeepPolicy, Upgrader {
  readonly name = 'error';

  /**
   * True when the session has an error that is not a retried refusal. The normalizer folded every error signal into
   * isError; the summary counts error spans the view may not hold (late spans: `excusedBefore` are those excused when
   * the session was first decided).
   */
  hasError(view: SessionView, excusedBefore = 0): boolean {
    let inSpans = 0;
    for (const s of view.spans) if (s.isError) inSpans++;
    const known = Math.max(view.summary.errorCount, inSpans);
    if (known === 0) return false;
    return known - excusedBefore - (inSpans === 0 ? 0 : retriedRefusalCount(view.spans)) > 0;
  }

  /** Error spans among the view's that are retried refusals (recorded on the decision for later reconsiderations). */
  excused(view: SessionView): number {
    return view.summary.errorCount === 0 ? 0 : retriedRefusalCount(view.spans);
  }

  /** A certain keep vote for an errored session, else null. */
  vote(view: SessionView): Vote | null {
    return this.hasError(view) ? { reason: 'error', policyClass: 'error', probability: 1 } : null;
  }

  /** The vote as a list; notes the excused refusals, so a later reconsideration does not count them as errors. */
  votes(view: SessionView, ctx: VoteContext): readonly Vote[] {
    const excused = this.excused(view);
    if (excused > 0) ctx.notes.excusedErrors = excused;
    return voteList(this.vote(view));
  }

  /** A late error upgrades a dropped session; the refusals excused at its decision stay excused. */
  upgrades(view: SessionView, previous: Decision): boolean {
    return this.hasError(view, previous.excusedErrors);
  }
}
