/** Encodes WAL records to frame payloads and back (JSON metadata + raw body bytes; bigints as tagged strings). */
import type { EvalResult } from '../../model/span.js';
import type { RequestSource } from '../../model/sinks.js';

/**
 * What the codec reads of a logged session summary: its bigint fields, tagged on a fast path. The rest of the summary,
 * and the decision, are the sessions stage's values (Decision, SessionSummary), stored as given and given back.
 */
export interface LoggedSummary {
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  evals: EvalResult[];
}

/** One record of the write-ahead log (docs/durability.md); `D` and `S`: the decision and summary of decision records. */
export type WalRecord<D = unknown, S extends LoggedSummary = LoggedSummary> =
  /**
   * An accepted Export request: the raw body, the authenticated tenant, and whether the key may name another
   * tenant per resource (`tenant.id`, trusted gateway or open mode), so replay resolves tenants as the receiver did.
   */
  | ({ type: 'request' } & RequestSource)
  /** An accepted ExportLogsServiceRequest, logged like a trace request (src/logs/ replays it). */
  | ({ type: 'logs' } & RequestSource)
  /** An accepted ExportMetricsServiceRequest (src/metrics/ replays it into the store). */
  | ({ type: 'metrics' } & RequestSource)
  /**
   * A session decision (version 1) or re-decision (late data, upgrade). `firstDecisionLsn` is the LSN of the session's
   * version-1 decision record: with tenant and session it names one decided life of a session, whose writes are
   * keyed by it. `requestLsns` are the request records that carried the session's spans (upgrades read them back).
   * `counted`: identities of the spans this version counted (src/sessions/counted-spans.ts), restored on recovery.
   */
  | {
      type: 'decision';
      tenantId: string;
      sessionId: string;
      version: number;
      decision: D;
      firstDecisionLsn?: number;
      summary?: S;
      requestLsns?: number[];
      counted?: string;
    }
  /** A batch the writer is about to insert: its dedup token and the writes (keys) it holds. Logged before the insert. */
  | { type: 'batch'; table: string; batchId: string; keys: string[] }
  /** The batch reached ClickHouse (or was given up as unwritable: `dropped`). */
  | { type: 'written'; table: string; batchId: string; upToLsn?: number; dropped?: boolean }
  | { type: 'eval'; tenantId: string; evals: EvalResult[] }
  /** Everything below `upToLsn` is settled: decided, written, no open session holds it (replay skips its requests). */
  | { type: 'checkpoint'; upToLsn: number };

const TYPE_CODES = { request: 1, decision: 2, written: 3, eval: 4, batch: 5, checkpoint: 6, logs: 7, metrics: 8 } as const;
const TYPE_NAMES: Record<number, WalRecord['type']> = { 1: 'request', 2: 'decision', 3: 'written', 4: 'eval', 5: 'batch', 6: 'checkpoint', 7: 'logs', 8: 'metrics' };
const BIGINT_TAG = '__bigint:';

/** Frame type byte for a record type. */
export function typeCode(type: WalRecord['type']): number {
  return TYPE_CODES[type];
}

/** Record type of a frame type byte (undefined when unknown). */
export function typeName(code: number): WalRecord['type'] | undefined {
  return TYPE_NAMES[code];
}

/** Payload: `[metaLen u32][meta JSON][body]`; only request, logs and metrics records carry a body. */
export function encodeRecord(record: WalRecord): Uint8Array {
  return Buffer.concat(encodeRecordParts(record));
}

/** The payload as parts: `[metaLen u32 + meta JSON]` and, for a request, its body as given (not copied). */
export function encodeRecordParts(record: WalRecord): Uint8Array[] {
  const { body, meta } = hasBody(record) ? { body: record.body, meta: { ...record, body: undefined } } : { body: undefined, meta: record };
  const json = metaJson(meta);
  const head = Buffer.allocUnsafe(4 + Buffer.byteLength(json));
  head.writeUInt32LE(head.length - 4, 0);
  head.write(json, 4);
  return body === undefined ? [head] : [head, body];
}

/** Records that carry an Export request's body after their metadata. */
function hasBody(r: WalRecord): r is Extract<WalRecord, { body: Uint8Array }> {
  return r.type === 'request' || r.type === 'logs' || r.type === 'metrics';
}

/** A bigint as its tagged string (decodeRecord turns it back); anything else as is. */
function tagged(v: unknown): unknown {
  return typeof v === 'bigint' ? BIGINT_TAG + v.toString() : v;
}

function bigintReplacer(_k: string, v: unknown): unknown {
  return tagged(v);
}

function taggedEvals(evals: readonly EvalResult[]): unknown[] {
  return evals.map((e) => ({ ...e, timeUnixNano: tagged(e.timeUnixNano) }));
}

/**
 * The record's metadata as JSON, bigints as tagged strings. A replacer makes V8 leave its fast stringify path (it
 * cost ~8 µs per decision record, one per session), so the bigint fields the types declare (summary times, eval
 * times) are tagged in a shallow copy instead, keeping key order and so the bytes; a bigint anywhere else (a field
 * added later) makes the plain stringify throw, and the replacer handles that record.
 */
function metaJson(meta: object): string {
  const r = meta as WalRecord;
  try {
    if (r.type === 'decision' && r.summary !== undefined) {
      const summary = { ...r.summary, startTimeUnixNano: tagged(r.summary.startTimeUnixNano), endTimeUnixNano: tagged(r.summary.endTimeUnixNano), evals: taggedEvals(r.summary.evals) };
      return JSON.stringify({ ...r, summary });
    }
    if (r.type === 'eval') return JSON.stringify({ ...r, evals: taggedEvals(r.evals) });
    return JSON.stringify(meta);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(meta, bigintReplacer);
  }
}

/** Inverse of encodeRecord; returns null for an unknown type or unparsable payload (counted as corrupt by callers). */
export function decodeRecord(type: number, payload: Uint8Array): WalRecord | null {
  const name = TYPE_NAMES[type];
  if (name === undefined || payload.length < 4) return null;
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const metaLen = buf.readUInt32LE(0);
  if (4 + metaLen > buf.length) return null;
  try {
    const meta = JSON.parse(buf.subarray(4, 4 + metaLen).toString('utf8'), (_k, v: unknown) =>
      typeof v === 'string' && v.startsWith(BIGINT_TAG) ? BigInt(v.slice(BIGINT_TAG.length)) : v,
    ) as WalRecord;
    if (meta.type !== name) return null;
    if (hasBody(meta)) return { ...meta, body: new Uint8Array(buf.subarray(4 + metaLen)) };
    if (meta.type === 'decision') return withFirstDecisionLsn(meta);
    return meta;
  } catch {
    return null;
  }
}

/** Logs written before the field was named for what it is called it `epoch`: such a record reads as it did. */
function withFirstDecisionLsn(r: Extract<WalRecord, { type: 'decision' }> & { epoch?: number }): WalRecord {
  if (r.epoch === undefined) return r;
  const { epoch, ...rest } = r;
  return rest.firstDecisionLsn === undefined ? { ...rest, firstDecisionLsn: epoch } : rest;
}
