/** Transport-independent Export, for any signal: auth → quota → admission → decode → tenant → resolve → sink. */
import type { ErrorCode } from '../model/errors.js';
import type { Logger } from '../log.js';
import { ok, type Outcome } from '../model/outcome.js';
import type { Authenticator, Credentials, TenantAuth } from './auth.js';
import type { OverloadGuard } from './overload.js';
import type { ItemCounters, ReceiveMetrics } from './metrics.js';
import type { QuotaManager } from './quota.js';
import type { RefusalLog } from './refusal-log.js';
import { NO_REDACTION, type RequestRedactor } from './redactor.js';
import { readInline, type ReadRequest, type SignalRoute } from './signal-route.js';

/** The wait of a request with nothing to place (every item rejected). */
const NOTHING_TO_PLACE: Promise<Outcome<void>> = Promise.resolve(ok());

export interface ExportRequest {
  credentials: Credentials;
  body: Uint8Array;
  format: 'protobuf' | 'json';
  transport: 'grpc' | 'http';
}

export type ExportResult = Outcome<{ accepted: number; rejected: number; errorMessage: string }>;

/** At most this many rejection reasons are spelled out in partial_success.error_message. */
const MAX_REASONS_IN_MESSAGE = 5;

export class ExportHandler<D = unknown, N = unknown> {
  private readonly counters: ItemCounters;

  constructor(
    private readonly params: {
      auth: Authenticator;
      quotas: QuotaManager;
      route: SignalRoute<D, N>;
      /** Redaction before decode, so what is decoded, logged and stored is redacted (absent: off). */
      redactor?: RequestRedactor;
      /** Load shedding before decode (absent: never sheds). */
      overload?: OverloadGuard;
      metrics: ReceiveMetrics;
      /** Counts refused requests and logs them as totals per interval. */
      refusals: RefusalLog;
      /** receive.limits.maxStringBytes, named when a request's strings were cut to it. */
      maxStringBytes: number;
      log: Logger;
      now?: () => number;
    },
  ) {
    this.counters = params.metrics.itemCounters(params.route.signal);
  }

  /** The signal's OTLP/JSON partial_success count key. */
  get rejectedJsonKey(): string {
    return this.params.route.rejectedJsonKey;
  }

  async handle(req: ExportRequest): Promise<ExportResult> {
    const result = await this.run(req);
    const code = result.status === 'ok' ? 'ok' : result.error.code;
    this.params.metrics.requests.inc({ transport: req.transport, code });
    if (result.status !== 'ok') this.params.refusals.note(result.error.code, req.transport, result.error.message);
    return result;
  }

  /** Counts a request the transport refused before handle() (body limit, content type, encoding), so every refusal shows in the metric. */
  countRefused(transport: ExportRequest['transport'], code: ErrorCode, message: string): void {
    this.params.metrics.requests.inc({ transport, code });
    this.params.refusals.note(code, transport, message);
  }

  private async run(req: ExportRequest): Promise<ExportResult> {
    // Not awaited when the request was read on the main thread: a resolved step costs no extra turn.
    const prepared = this.prepare(req);
    const step = prepared instanceof Promise ? await prepared : prepared;
    if (!('placed' in step)) return step;
    // Only counts and the answer's text wait here: the decoded request and its spans are not held while the log
    // makes the request durable (held, they outlived young-generation collections and fragmented the old one).
    const accepted = await step.placed;
    if (accepted.status !== 'ok') {
      this.counters.refused.inc({ reason: accepted.error.code }, step.items);
      return accepted;
    }
    this.counters.accepted.inc({ transport: req.transport }, step.items);
    return ok({ accepted: step.items, rejected: step.rejected, errorMessage: step.errorMessage });
  }

  /**
   * Everything before the wait for durability: a final answer, or the items handed to the sink and the answer's
   * parts. A promise when the route reads off the main thread; its answers come in the order requests were handed
   * in, so the sink takes requests (and each session's spans) in arrival order either way.
   */
  private prepare(req: ExportRequest): Prepared | Promise<Prepared> {
    const { auth, quotas, route, metrics } = this.params;
    const who = auth.authenticate(req.credentials);
    if (who.status !== 'ok') return who;
    const tenant = who.value;
    metrics.bytesReceived.inc({ transport: req.transport }, req.body.byteLength);
    const load = this.params.overload?.admit();
    if (load !== undefined && load.status !== 'ok') return load;

    const byteQuota = quotas.takeBytes(tenant.tenantId, req.body.byteLength);
    if (byteQuota.status !== 'ok') return byteQuota;
    const admitted = route.admit(tenant.tenantId, req.body.byteLength);
    if (admitted.status !== 'ok') return admitted;

    // From here on only the redacted body exists: it is what is decoded and what the sink logs.
    const redacted = (this.params.redactor ?? NO_REDACTION).redact(req.body, req.format, tenant);
    if (redacted.status !== 'ok') return redacted;
    const body = redacted.value;
    const nowMs = (this.params.now ?? Date.now)();
    const offThread = route.readOffThread?.(body, req.format, nowMs, tenant);
    if (offThread !== undefined) return offThread.then((read) => this.place(read, req, tenant, body, nowMs));
    return this.place(readInline(route, body, req.format, nowMs, tenant), req, tenant, body, nowMs);
  }

  /** Counts what was read, takes the item quota and hands the items to the sink. */
  private place(read: Outcome<ReadRequest<N>>, req: ExportRequest, tenant: TenantAuth, body: Uint8Array, nowMs: number): Prepared {
    const { auth, quotas, route, metrics } = this.params;
    const counters = this.counters;
    if (read.status !== 'ok') return read;
    const decoded = read.value;
    const received = decoded.received;
    counters.received.inc({ transport: req.transport }, received);
    if (decoded.truncatedStrings) metrics.truncatedStrings.inc(decoded.truncatedStrings);
    if (decoded.unknownFields !== undefined) metrics.unknownFieldRequests.inc({ signal: route.signal });

    const resolved = decoded.resolved;
    if (resolved.status !== 'ok') {
      counters.refused.inc({ reason: resolved.error.code }, received);
      return resolved;
    }
    // After normalization: it rejects spans whose values no column can hold.
    for (const r of decoded.rejected) counters.rejected.inc({ reason: r.kind });
    const items = resolved.value;

    // One item quota per tenant, whatever the signal: a log record costs what a span does.
    const itemQuota = quotas.takeSpans(tenant.tenantId, items.length);
    if (itemQuota.status !== 'ok') {
      counters.refused.inc({ reason: itemQuota.error.code }, items.length);
      return itemQuota;
    }
    const rejected = decoded.rejected.length;
    const shown = decoded.rejected.slice(0, MAX_REASONS_IN_MESSAGE).map((r) => `${r.path}: ${r.reason}`);
    if (rejected > MAX_REASONS_IN_MESSAGE) shown.push(`… and ${rejected - MAX_REASONS_IN_MESSAGE} more`);
    // Accepted but changed: the OTLP spec lets partial_success carry a warning with rejected = 0.
    const cut = decoded.truncatedStrings ?? 0;
    if (decoded.unknownFields !== undefined) shown.push(decoded.unknownFields.message);
    if (cut > 0) shown.push(`${cut} string value(s) longer than receive.limits.maxStringBytes (${this.params.maxStringBytes} bytes) were truncated`);
    const errorMessage = shown.join('; ');
    // The (redacted) body goes with the items: the sink logs it (write-ahead log) before the answer.
    const placed = items.length === 0 ? NOTHING_TO_PLACE : route.accept(items, { tenantId: tenant.tenantId, mayClaimTenant: auth.mayClaimTenant(tenant), format: req.format, receivedAtMs: nowMs, body });
    return { placed, items: items.length, rejected, errorMessage };
  }
}

/** What prepare() ends in: a final answer, or the items handed to the sink and the answer's parts. */
type Prepared = ExportResult | { placed: Promise<Outcome<void>>; items: number; rejected: number; errorMessage: string };
