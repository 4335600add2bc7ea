/**
 * The logs signal on the shared Export path (src/receive/export-handler.ts): ExportLogsServiceRequest decoding
 * (protobuf or JSON), tenant per resource as for spans, session alias and eval event read, then the log joiner.
 */
import { evalOfLogRecord } from '../conventions/evals.js';
import { resolveSessionId } from '../conventions/session.js';
import { decodeLogsRequest, decodeLogsRequestJson } from '../otlp/decode-logs.js';
import type { OtlpLogRecord } from '../otlp/log-types.js';
import type { DecodeLimits } from '../otlp/types.js';
import { ok, type Outcome } from '../model/outcome.js';
import type { RequestSource } from '../model/sinks.js';
import type { Authenticator, TenantAuth } from '../receive/auth.js';
import { resourceTenants } from '../receive/resource-tenant.js';
import { decodeOutcome, loggedPrincipal, type DecodedItems, type SignalRoute } from '../receive/signal-route.js';
import type { LogEntry } from './types.js';

/** Where accepted log records go (src/logs/log-joiner.ts). */
export interface LogSink {
  admit(tenantId: string, wireBytes: number): Outcome<void>;
  accept(entries: LogEntry[], source: RequestSource): Promise<Outcome<void>>;
}

/**
 * Log records decoded and tenant-resolved, with their session hint and eval: the same for arrivals (LogRoute),
 * recovery and upgrades' read-back, so the joiner can be built with it before the route that feeds the joiner.
 */
export class LogDecoder {
  constructor(private readonly p: { auth: Authenticator; limits: DecodeLimits; sessionPrecedence: readonly string[] }) {}

  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedItems<OtlpLogRecord>> {
    const d = decodeOutcome(() => (format === 'protobuf' ? decodeLogsRequest(body, this.p.limits, nowMs) : decodeLogsRequestJson(body, this.p.limits, nowMs)));
    if (d.status !== 'ok') return d;
    // A record with neither time is observed now (the collector's job per the logs data model); replay passes the
    // logged arrival time, so it gets the same time again.
    const observedNs = BigInt(Math.floor(nowMs)) * 1_000_000n;
    for (const r of d.value.records) if (r.timeUnixNano === 0n && r.observedTimeUnixNano === 0n) r.observedTimeUnixNano = observedNs;
    const out: DecodedItems<OtlpLogRecord> = { items: d.value.records, rejected: d.value.rejected };
    if (d.value.truncatedStrings !== undefined) out.truncatedStrings = d.value.truncatedStrings;
    if (d.value.unknownFields !== undefined) out.unknownFields = d.value.unknownFields;
    return ok(out);
  }

  resolve(decoded: DecodedItems<OtlpLogRecord>, principal: TenantAuth): Outcome<LogEntry[]> {
    const tenantOf = resourceTenants(this.p.auth, principal);
    const out: LogEntry[] = [];
    for (const record of decoded.items) {
      const t = tenantOf(record.resource);
      if (t.status !== 'ok') return t;
      const sessionId = resolveSessionId(record.attributes, record.resource.attributes, this.p.sessionPrecedence);
      const target = { sessionId, traceId: record.traceId === '' ? null : record.traceId, spanId: record.spanId === '' ? null : record.spanId };
      const time = record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano;
      const e = evalOfLogRecord(record.eventName, record.attributes, target, time);
      // An eval must name what it judged; one with no ids at all is stored as a log record only.
      const evalResult = e !== null && (target.sessionId !== null || target.traceId !== null) ? e : null;
      out.push({ tenantId: t.value, record, sessionId, evalResult });
    }
    return ok(out);
  }

  /** Decode and resolve a logged request as on arrival (recovery). */
  entriesOfLogged(r: RequestSource): Outcome<LogEntry[]> {
    const d = this.decode(r.body, r.format, r.receivedAtMs);
    if (d.status !== 'ok') return d;
    return this.resolve(d.value, loggedPrincipal(r));
  }
}

/** Log records: decoded, tenant-resolved, session hint and eval read, handed to the joiner. */
export class LogRoute implements SignalRoute<OtlpLogRecord, LogEntry> {
  readonly signal = 'logs';
  readonly rejectedJsonKey = 'rejectedLogRecords';

  constructor(private readonly p: { decoder: LogDecoder; sink: LogSink }) {}

  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedItems<OtlpLogRecord>> {
    return this.p.decoder.decode(body, format, nowMs);
  }

  resolve(decoded: DecodedItems<OtlpLogRecord>, principal: TenantAuth): Outcome<LogEntry[]> {
    return this.p.decoder.resolve(decoded, principal);
  }

  admit(tenantId: string, wireBytes: number): Outcome<void> {
    return this.p.sink.admit(tenantId, wireBytes);
  }

  accept(items: LogEntry[], source: RequestSource): Promise<Outcome<void>> {
    return this.p.sink.accept(items, source);
  }

  /** Decode and resolve a logged request as on arrival (the decoder's, for callers that hold the route). */
  entriesOfLogged(r: RequestSource): Outcome<LogEntry[]> {
    return this.p.decoder.entriesOfLogged(r);
  }
}
