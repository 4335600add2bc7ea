/** Transport-independent Export: auth → quota → admission → decode → tenant → normalize + price → sink. */
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { ok, type Outcome } from '../outcome.js';
import type { SpanSink } from '../pipeline.js';
import type { Authenticator, Credentials } from './auth.js';
import type { OverloadGuard } from './overload.js';
import type { RequestDecoder } from './request-decoder.js';
import type { ReceiveMetrics } from './metrics.js';
import type { QuotaManager } from './quota.js';
import type { RefusalLog } from './refusal-log.js';

export interface ExportRequest {
  credentials: Credentials;
  body: Uint8Array;
  format: 'protobuf' | 'json';
  transport: 'grpc' | 'http';
}

export type ExportResult = Outcome<{ acceptedSpans: number; rejectedSpans: number; errorMessage: string }>;

/** At most this many rejection reasons are spelled out in partial_success.error_message. */
const MAX_REASONS_IN_MESSAGE = 5;

export class ExportHandler {
  constructor(
    private readonly params: {
      auth: Authenticator;
      quotas: QuotaManager;
      decoder: RequestDecoder;
      sink: SpanSink;
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
  ) {}

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
    const { auth, quotas, sink, metrics } = this.params;
    const who = auth.authenticate(req.credentials);
    if (who.status !== 'ok') return who;
    const tenant = who.value;
    metrics.bytesReceived.inc({ transport: req.transport }, req.body.byteLength);
    const load = this.params.overload?.admit();
    if (load !== undefined && load.status !== 'ok') return load;

    const byteQuota = quotas.takeBytes(tenant.tenantId, req.body.byteLength);
    if (byteQuota.status !== 'ok') return byteQuota;
    const admitted = sink.admit(tenant.tenantId, req.body.byteLength);
    if (admitted.status !== 'ok') return admitted;

    const nowMs = (this.params.now ?? Date.now)();
    const read = this.params.decoder.decode(req.body, req.format, nowMs);
    if (read.status !== 'ok') return read;
    const decoded = read.value;
    const received = decoded.spans.length + decoded.rejected.length;
    metrics.spansReceived.inc({ transport: req.transport }, received);
    if (decoded.truncatedStrings) metrics.truncatedStrings.inc(decoded.truncatedStrings);

    const resolved = this.params.decoder.normalize(decoded, tenant);
    if (resolved.status !== 'ok') {
      metrics.spansRefused.inc({ reason: resolved.error.code }, received);
      return resolved;
    }
    // After normalization: it rejects spans whose values no column can hold.
    for (const r of decoded.rejected) metrics.spansRejected.inc({ reason: r.kind });
    const normalized = resolved.value;

    const spanQuota = quotas.takeSpans(tenant.tenantId, normalized.length);
    if (spanQuota.status !== 'ok') {
      metrics.spansRefused.inc({ reason: spanQuota.error.code }, normalized.length);
      return spanQuota;
    }
    if (normalized.length > 0) {
      // The raw body goes with the spans: the sink logs it (write-ahead log) before the answer.
      const accepted = await sink.accept(normalized, {
        tenantId: tenant.tenantId,
        mayClaimTenant: auth.mayClaimTenant(tenant),
        format: req.format,
        receivedAtMs: nowMs,
        body: req.body,
      });
      if (accepted.status !== 'ok') {
        metrics.spansRefused.inc({ reason: accepted.error.code }, normalized.length);
        return accepted;
      }
    }
    metrics.spansAccepted.inc({ transport: req.transport }, normalized.length);
    const rejectedSpans = decoded.rejected.length;
    const shown = decoded.rejected.slice(0, MAX_REASONS_IN_MESSAGE).map((r) => `${r.path}: ${r.reason}`);
    if (rejectedSpans > MAX_REASONS_IN_MESSAGE) shown.push(`… and ${rejectedSpans - MAX_REASONS_IN_MESSAGE} more`);
    // Accepted but changed: the OTLP spec lets partial_success carry a warning with rejected_spans = 0.
    const cut = decoded.truncatedStrings ?? 0;
    if (cut > 0) shown.push(`${cut} string value(s) longer than receive.limits.maxStringBytes (${this.params.maxStringBytes} bytes) were truncated`);
    return ok({ acceptedSpans: normalized.length, rejectedSpans, errorMessage: shown.join('; ') });
  }
}
