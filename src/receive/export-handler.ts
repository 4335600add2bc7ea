/** Transport-independent Export: auth → quota → admission → decode → tenant → normalize + price → sink. */
import type { Normalizer } from '../conventions/normalize.js';
import type { NormalizedSpan } from '../conventions/types.js';
import { AgtError, isAgtError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { decodeExportRequestJson } from '../otlp/decode-json.js';
import { decodeExportRequest } from '../otlp/decode-protobuf.js';
import type { DecodedExport, DecodeLimits } from '../otlp/types.js';
import { failed, ok, type Outcome } from '../outcome.js';
import type { SpanSink } from '../pipeline.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Authenticator, Credentials } from './auth.js';
import type { ReceiveMetrics } from './metrics.js';
import type { QuotaManager } from './quota.js';

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
      limits: DecodeLimits;
      normalizer: Normalizer;
      pricer: Pricer;
      sink: SpanSink;
      metrics: ReceiveMetrics;
      log: Logger;
      now?: () => number;
    },
  ) {}

  async handle(req: ExportRequest): Promise<ExportResult> {
    const result = await this.run(req);
    const code = result.status === 'ok' ? 'ok' : result.error.code;
    this.params.metrics.requests.inc({ transport: req.transport, code });
    return result;
  }

  /** Counts a request the transport refused before handle() (body limit, content type, encoding), so every refusal shows in the metric. */
  countRefused(transport: ExportRequest['transport'], code: ErrorCode): void {
    this.params.metrics.requests.inc({ transport, code });
  }

  private async run(req: ExportRequest): Promise<ExportResult> {
    const { auth, quotas, sink, metrics } = this.params;
    const who = auth.authenticate(req.credentials);
    if (who.status !== 'ok') return who;
    const tenant = who.value;
    metrics.bytesReceived.inc({ transport: req.transport }, req.body.byteLength);

    const byteQuota = quotas.takeBytes(tenant.tenantId, req.body.byteLength);
    if (byteQuota.status !== 'ok') return byteQuota;
    const admitted = sink.admit(tenant.tenantId, req.body.byteLength);
    if (admitted.status !== 'ok') return admitted;

    let decoded: DecodedExport;
    try {
      const nowMs = (this.params.now ?? Date.now)();
      decoded = req.format === 'protobuf' ? decodeExportRequest(req.body, this.params.limits, nowMs) : decodeExportRequestJson(req.body, this.params.limits, nowMs);
    } catch (err) {
      if (isAgtError(err)) return failed(err);
      return failed(new AgtError('AGT_ERR_MALFORMED_REQUEST', `request could not be decoded: ${(err as Error).message}`, { cause: err }));
    }
    const received = decoded.spans.length + decoded.rejected.length;
    metrics.spansReceived.inc({ transport: req.transport }, received);
    if (decoded.truncatedStrings) metrics.truncatedStrings.inc(decoded.truncatedStrings);
    for (const r of decoded.rejected) metrics.spansRejected.inc({ reason: r.kind });

    // Tenant per resource: spans of one resource share its object, so resolve once per resource.
    const normalized: NormalizedSpan[] = [];
    const tenantOf = new Map<object, string>();
    for (const span of decoded.spans) {
      let tenantId = tenantOf.get(span.resource);
      if (tenantId === undefined) {
        const claimed = span.resource.attributes['tenant.id'];
        const t = auth.tenantForResource(tenant, typeof claimed === 'string' ? claimed : null);
        if (t.status !== 'ok') {
          metrics.spansRefused.inc({ reason: t.error.code }, received);
          return t;
        }
        tenantId = t.value;
        tenantOf.set(span.resource, tenantId);
      }
      const n = this.params.normalizer.normalize(span, tenantId);
      n.cost = this.params.pricer.price(n);
      normalized.push(n);
    }

    const spanQuota = quotas.takeSpans(tenant.tenantId, normalized.length);
    if (spanQuota.status !== 'ok') {
      metrics.spansRefused.inc({ reason: spanQuota.error.code }, normalized.length);
      return spanQuota;
    }
    if (normalized.length > 0) {
      const accepted = await sink.accept(normalized);
      if (accepted.status !== 'ok') {
        metrics.spansRefused.inc({ reason: accepted.error.code }, normalized.length);
        return accepted;
      }
    }
    metrics.spansAccepted.inc({ transport: req.transport }, normalized.length);
    const rejectedSpans = decoded.rejected.length;
    const shown = decoded.rejected.slice(0, MAX_REASONS_IN_MESSAGE).map((r) => `${r.path}: ${r.reason}`);
    if (rejectedSpans > MAX_REASONS_IN_MESSAGE) shown.push(`… and ${rejectedSpans - MAX_REASONS_IN_MESSAGE} more`);
    return ok({ acceptedSpans: normalized.length, rejectedSpans, errorMessage: shown.join('; ') });
  }
}
