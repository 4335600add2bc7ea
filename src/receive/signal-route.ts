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

/**
 * One request read: its items decoded, then resolved to tenants and turned into what the sink takes. The same
 * whether it was read on the main thread (`decode` then `resolve`) or by a decode worker (`readOffThread`).
 */
export interface ReadRequest<N> {
  /** Items the request carried: decoded, plus rejected while decoding (partial_success). */
  received: number;
  /** Items refused, while decoding or normalizing. */
  rejected: SpanRejection[];
  truncatedStrings?: number;
  unknownFields?: { fields: string[]; message: string };
  /** The items as the sink takes them; failed when a resource names a tenant the key may not write (the whole request is refused). */
  resolved: Outcome<N[]>;
}

/** How a signal's requests are read: decoded, then resolved into what its sink takes (readInline runs both). */
export type RequestReading<D, N> = Pick<SignalRoute<D, N>, 'decode' | 'resolve'>;

/** A signal's part of the Export path. */
export interface SignalRoute<D, N> {
  readonly signal: SignalName;
  /** The key of partial_success's count in OTLP/JSON answers (`rejectedSpans`, `rejectedLogRecords`). */
  readonly rejectedJsonKey: string;
  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedItems<D>>;
  /** Resolves each item's tenant (per resource) and turns it into what the sink takes. */
  resolve(decoded: DecodedItems<D>, principal: TenantAuth): Outcome<N[]>;
  /**
   * Decodes and resolves off the main thread (the trace route's decode workers), answering in the order requests
   * were handed in; undefined when the route reads on the main thread (`decode`, then `resolve`).
   */
  readOffThread?(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number, principal: TenantAuth): Promise<Outcome<ReadRequest<N>>> | undefined;
  /** Cheap admission check before decoding. */
  admit(tenantId: string, wireBytes: number): Outcome<void>;
  /** Takes the items of one accepted request; `ok` once they are safe (logged before the answer when the log is on). */
  accept(items: N[], source: RequestSource): Promise<Outcome<void>>;
}

/** Reads a request on the main thread: `decode`, then `resolve` (normalization adds its rejections to the decoded ones). */
export function readInline<D, N>(route: RequestReading<D, N>, body: Uint8Array, format: 'protobuf' | 'json', nowMs: number, principal: TenantAuth): Outcome<ReadRequest<N>> {
  const read = route.decode(body, format, nowMs);
  if (read.status !== 'ok') return read;
  const decoded = read.value;
  const received = decoded.items.length + decoded.rejected.length;
  const resolved = route.resolve(decoded, principal);
  const out: ReadRequest<N> = { received, rejected: decoded.rejected, resolved };
  if (decoded.truncatedStrings !== undefined) out.truncatedStrings = decoded.truncatedStrings;
  if (decoded.unknownFields !== undefined) out.unknownFields = decoded.unknownFields;
  return ok(out);
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
