/** The surface the receivers hand accepted spans and evals to (the sessions stage implements it). */
import type { EvalResult, NormalizedSpan } from './span.js';
import type { Outcome } from './outcome.js';

/** The raw request behind a batch of spans, for the write-ahead log (replayed through the same decoder). */
export interface RequestSource {
  /** The authenticated tenant. */
  tenantId: string;
  /** The key may name other tenants per resource (`tenant.id`): trusted gateway or open mode. */
  mayClaimTenant: boolean;
  format: 'protobuf' | 'json';
  receivedAtMs: number;
  body: Uint8Array;
}

export interface SpanSink {
  /**
   * Takes the normalized spans of one accepted request. Resolves `ok` once they are safe (buffered, and
   * logged when the WAL is on); `retryable` when over a limit (buffer, WAL or writer full): the caller
   * answers with a retryable code and nothing was taken.
   */
  accept(spans: NormalizedSpan[], source?: RequestSource): Promise<Outcome<void>>;
  /** Takes eval results posted or found out of band (POST /v1/evals). */
  acceptEvals(tenantId: string, evals: EvalResult[]): Promise<Outcome<void>>;
  /** Cheap admission check before decoding: `retryable` when a request of this size would be refused. */
  admit(tenantId: string, wireBytes: number): Outcome<void>;
  /**
   * The attribute keys spans keep while held lean (the rest read back from the log if their session is kept), or
   * null when spans are held whole. Every span of a logged protobuf request is held lean then, late ones too, so the
   * receivers may decode only what is read before a decision (src/receive/span-attr-filter.ts). Absent: whole.
   */
  leanKeys?(): ReadonlySet<string> | null;
}
