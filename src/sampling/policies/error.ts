/** Policy `error`: keep every session with an error span. */
import type { SessionView } from '../session-view.js';
import type { Vote } from './vote.js';

/** Votes keep when any span is an error (status error, error.type, exception event, failed tool call). */
export class ErrorPolicy {
  /** True when the session has an error anywhere; the normalizer already folded every error signal into isError. */
  hasError(view: SessionView): boolean {
    if (view.summary.errorCount > 0) return true;
    return view.spans.some((s) => s.isError);
  }

  /** A certain keep vote for an errored session, else null. */
  vote(view: SessionView): Vote | null {
    return this.hasError(view) ? { reason: 'error', policyClass: 'error', probability: 1 } : null;
  }
}
