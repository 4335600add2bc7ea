/**
 * The metrics signal on the shared Export path (src/receive/export-handler.ts): ExportMetricsServiceRequest decoding
 * (protobuf or JSON), tenant per resource as for spans, each point as the row of its table, then the metric writer.
 * Metrics are not sampled: every accepted point is stored.
 */
import { AgtError } from '../model/errors.js';
import { decodeMetricsRequest, decodeMetricsRequestJson } from '../otlp/decode-metrics.js';
import type { OtlpMetricPoint } from '../otlp/metric-types.js';
import type { DecodeLimits } from '../otlp/types.js';
import { failed, ok, type Outcome } from '../model/outcome.js';
import type { RequestSource } from '../model/sinks.js';
import type { Authenticator, TenantAuth } from '../receive/auth.js';
import { resourceTenants } from '../receive/resource-tenant.js';
import { decodeOutcome, loggedPrincipal, type DecodedItems, type SignalRoute } from '../receive/signal-route.js';
import { buildMetricRow, METRIC_TABLES } from '../store/metric-rows.js';
import type { MetricRow } from './types.js';

/** Where accepted metric rows go (src/metrics/metric-writer.ts). */
export interface MetricSink {
  admit(tenantId: string, wireBytes: number): Outcome<void>;
  accept(rows: MetricRow[], source: RequestSource): Promise<Outcome<void>>;
}

/** At most this many point problems are named in the INVALID_ARGUMENT message of a request with no good point. */
const MAX_REASONS = 5;

/** Metric data points: decoded, checked, tenant-resolved, handed to the writer. */
export class MetricRoute implements SignalRoute<OtlpMetricPoint, MetricRow> {
  readonly signal = 'metrics';
  readonly rejectedJsonKey = 'rejectedDataPoints';

  constructor(private readonly p: { auth: Authenticator; limits: DecodeLimits; sink: MetricSink }) {}

  /**
   * Bad points are refused one by one (partial_success); a request in which every point was refused is refused as a
   * whole (INVALID_ARGUMENT / 400), its message naming the first problems, since nothing of it could be stored.
   */
  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedItems<OtlpMetricPoint>> {
    const d = decodeOutcome(() => (format === 'protobuf' ? decodeMetricsRequest(body, this.p.limits, nowMs) : decodeMetricsRequestJson(body, this.p.limits, nowMs)));
    if (d.status !== 'ok') return d;
    const { points, rejected } = d.value;
    if (points.length === 0 && rejected.length > 0) {
      const shown = rejected.slice(0, MAX_REASONS).map((r) => `${r.path}: ${r.reason}`);
      if (rejected.length > MAX_REASONS) shown.push(`… and ${rejected.length - MAX_REASONS} more`);
      return failed(new AgtError('AGT_ERR_INVALID_METRIC', `no data point of the request could be accepted: ${shown.join('; ')}`));
    }
    return ok({ items: points, rejected });
  }

  resolve(decoded: DecodedItems<OtlpMetricPoint>, principal: TenantAuth): Outcome<MetricRow[]> {
    const tenantOf = resourceTenants(this.p.auth, principal);
    const out: MetricRow[] = [];
    for (const point of decoded.items) {
      const t = tenantOf(point.resource);
      if (t.status !== 'ok') return t;
      out.push({ table: METRIC_TABLES[point.kind], row: buildMetricRow(t.value, point) });
    }
    return ok(out);
  }

  admit(tenantId: string, wireBytes: number): Outcome<void> {
    return this.p.sink.admit(tenantId, wireBytes);
  }

  accept(items: MetricRow[], source: RequestSource): Promise<Outcome<void>> {
    return this.p.sink.accept(items, source);
  }

  /** Decode and resolve a logged request as on arrival (recovery). */
  rowsOfLogged(r: RequestSource): Outcome<MetricRow[]> {
    const d = this.decode(r.body, r.format, r.receivedAtMs);
    if (d.status !== 'ok') return d;
    return this.resolve(d.value, loggedPrincipal(r));
  }
}
