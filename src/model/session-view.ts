/** What the decision engine looks at: a complete session as the buffer hands it on. */
import type { NormalizedSpan } from './span.js';
import type { SessionSummary } from './session.js';

/** A session's running summary plus the spans the buffer holds for it. */
export interface SessionView {
  summary: SessionSummary;
  spans: readonly NormalizedSpan[];
}
