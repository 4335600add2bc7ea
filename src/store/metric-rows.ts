/** Row builders of the otel_metrics_* tables (the OTel ClickHouse exporter's columns plus TenantId; schema/013). */
import type { MetricKind, OtlpExemplar, OtlpMetricPoint } from '../otlp/metric-types.js';
import type { Attributes } from '../model/otlp-values.js';
import { attrsToMap, nsCell } from './cell-format.js';

/** The table of each data kind. */
export const METRIC_TABLES = {
  sum: 'otel_metrics_sum',
  gauge: 'otel_metrics_gauge',
  histogram: 'otel_metrics_histogram',
  exponential_histogram: 'otel_metrics_exponential_histogram',
  summary: 'otel_metrics_summary',
} as const satisfies Record<MetricKind, string>;

/** One of the metric tables. */
export type MetricTable = (typeof METRIC_TABLES)[MetricKind];

/**
 * A DateTime64(9) cell that may be 0 (a gauge or an exemplar without a start time): ClickHouse reads a short digit
 * string such as "0" as a date and refuses it, so the epoch is spelt out.
 */
function timeCell(ns: bigint): string {
  return ns === 0n ? '1970-01-01 00:00:00.000000000' : nsCell(ns);
}

/** uint64 cells go as decimal strings: exact past 2^53, and ClickHouse reads quoted integers in its JSON input formats. */
const u64 = (n: bigint): string => n.toString();

function exemplarCells(ex: readonly OtlpExemplar[]): Record<string, unknown> {
  return {
    'Exemplars.FilteredAttributes': ex.map((e) => attrsToMap(e.filteredAttributes)),
    'Exemplars.TimeUnix': ex.map((e) => timeCell(e.timeUnixNano)),
    'Exemplars.Value': ex.map((e) => e.value),
    'Exemplars.SpanId': ex.map((e) => e.spanId),
    'Exemplars.TraceId': ex.map((e) => e.traceId),
  };
}

/**
 * The cell of a resource's or scope's attributes, made once per object: every point of a request under one resource
 * shares its object (src/otlp/decode-metrics.ts), and a request carries hundreds of points per resource.
 */
const mapCells = new WeakMap<Attributes, Record<string, string>>();
function sharedMap(attrs: Attributes): Record<string, string> {
  let cell = mapCells.get(attrs);
  if (cell === undefined) mapCells.set(attrs, (cell = attrsToMap(attrs)));
  return cell;
}

/** One row of the point's table, as an object by column (row-format.ts writes its line). */
export function buildMetricRow(tenantId: string, p: OtlpMetricPoint): Record<string, unknown> {
  const service = p.resource.attributes['service.name'];
  const row: Record<string, unknown> = {
    ResourceAttributes: sharedMap(p.resource.attributes),
    ResourceSchemaUrl: p.resource.schemaUrl ?? '',
    ScopeName: p.scope.name,
    ScopeVersion: p.scope.version,
    ScopeAttributes: sharedMap(p.scope.attributes),
    ScopeDroppedAttrCount: 0,
    ScopeSchemaUrl: p.scope.schemaUrl ?? '',
    ServiceName: typeof service === 'string' ? service : '',
    MetricName: p.metric.name,
    MetricDescription: p.metric.description,
    MetricUnit: p.metric.unit,
    Attributes: attrsToMap(p.attributes),
    StartTimeUnix: timeCell(p.startTimeUnixNano),
    TimeUnix: timeCell(p.timeUnixNano),
    Flags: p.flags,
    TenantId: tenantId,
  };
  switch (p.kind) {
    case 'sum':
      return { ...row, Value: p.value, ...exemplarCells(p.exemplars), AggregationTemporality: p.metric.aggregationTemporality, IsMonotonic: p.metric.isMonotonic };
    case 'gauge':
      return { ...row, Value: p.value, ...exemplarCells(p.exemplars) };
    case 'histogram':
      return {
        ...row,
        Count: u64(p.count),
        Sum: p.sum,
        BucketCounts: p.bucketCounts.map(u64),
        ExplicitBounds: p.explicitBounds,
        ...exemplarCells(p.exemplars),
        Min: p.min,
        Max: p.max,
        AggregationTemporality: p.metric.aggregationTemporality,
      };
    case 'exponential_histogram':
      return {
        ...row,
        Count: u64(p.count),
        Sum: p.sum,
        Scale: p.scale,
        ZeroCount: u64(p.zeroCount),
        PositiveOffset: p.positiveOffset,
        PositiveBucketCounts: p.positiveBucketCounts.map(u64),
        NegativeOffset: p.negativeOffset,
        NegativeBucketCounts: p.negativeBucketCounts.map(u64),
        ...exemplarCells(p.exemplars),
        Min: p.min,
        Max: p.max,
        AggregationTemporality: p.metric.aggregationTemporality,
      };
    case 'summary':
      return { ...row, Count: u64(p.count), Sum: p.sum, 'ValueAtQuantiles.Quantile': p.quantiles.map((q) => q.quantile), 'ValueAtQuantiles.Value': p.quantiles.map((q) => q.value) };
  }
}
