/**
 * What one OTLP signal (traces, logs) plugs into the shared Export path (export-handler.ts): how its bodies decode,
 * how its items resolve to tenants, and where accepted items go. Auth, quotas, admission, refusals and answers are
 * the handler's, so every signal behaves the same.
 */
import { AgtError, isAgtError } from '../model/errors.js';
import { failed, ok, type Outcome } from '../model/outcome.js';
import type { RequestSource } from '../model/sinks.js';
import type { SpanRejection } from '../otlp/types.js';
import type { TenantAuth } from './auth.js';

/** The signals the receivers take. */
export type SignalName = 'traces' | 'logs' | 'metrics';

/** One request's decoded items and the ones refused (partial_success). */
export interface DecodedItems<D> {
  items: D[];
  rejected: SpanRejection[];
  truncatedStrings?: number;
  /** OTLP/JSON with only unknown top-level fields: accepted, said in partial_success and counted. */
  unknownFields?: { fields: string[]; message: string };
}

/** A signal's part of the Export path. */
export interface SignalRoute<D, N> {
  readonly signal: SignalName;
  /** The key of partial_success's count in OTLP/JSON answers (`rejectedSpans`, `rejectedLogRecords`). */
  readonly rejectedJsonKey: string;
  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedItems<D>>;
  /** Resolves each item's tenant (per resource) and turns it into what the sink takes. */
  resolve(decoded: DecodedItems<D>, principal: TenantAuth): Outcome<N[]>;
  /** Cheap admission check before decoding. */
  admit(tenantId: string, wireBytes: number): Outcome<void>;
  /** Takes the items of one accepted request; `ok` once they are safe (logged before the answer when the log is on). */
  accept(items: N[], source: RequestSource): Promise<Outcome<void>>;
}

/** Runs a decoder: its AgtError as a failed Outcome, any other throw as AGT_ERR_MALFORMED_REQUEST. */
export function decodeOutcome<T>(run: () => T): Outcome<T> {
  try {
    return ok(run());
  } catch (err) {
    if (isAgtError(err)) return failed(err);
    return failed(new AgtError('AGT_ERR_MALFORMED_REQUEST', `request could not be decoded: ${(err as Error).message}`, { cause: err }));
  }
}

/** The principal a logged request is re-read under: its logged tenant, and whether it could name others. */
export function loggedPrincipal(r: RequestSource): TenantAuth {
  return { tenantId: r.tenantId, trustedGateway: r.mayClaimTenant, admin: false, open: false, keyId: 'log' };
}
