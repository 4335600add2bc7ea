/** The surface the receivers hand accepted spans and evals to (the sessions stage implements it). */
import type { EvalResult, NormalizedSpan } from './conventions/types.js';
import type { Outcome } from './outcome.js';

export interface SpanSink {
  /**
   * Takes the normalized spans of one accepted request. Resolves `ok` once they are safe (buffered, and
   * logged when the WAL is on); `retryable` when over a limit (buffer, WAL or writer full): the caller
   * answers with a retryable code and nothing was taken.
   */
  accept(spans: NormalizedSpan[]): Promise<Outcome<void>>;
  /** Takes eval results posted or found out of band (POST /v1/evals). */
  acceptEvals(tenantId: string, evals: EvalResult[]): Promise<Outcome<void>>;
  /** Cheap admission check before decoding: `retryable` when a request of this size would be refused. */
  admit(tenantId: string, wireBytes: number): Outcome<void>;
}
