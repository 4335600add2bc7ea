/** The decoded form of OTLP metric data points (src/otlp/decode-metrics.ts), one per data point. */
import type { Attributes, OtlpResource, OtlpScope } from '../model/otlp-values.js';

/** The five OTLP metric data kinds, named as the exporter's tables are (`otel_metrics_<kind>`). */
export type MetricKind = 'sum' | 'gauge' | 'histogram' | 'exponential_histogram' | 'summary';

/** The metric a point belongs to. */
export interface OtlpMetricInfo {
  name: string;
  description: string;
  unit: string;
  /** AGGREGATION_TEMPORALITY_* (0 for gauges and summaries). */
  aggregationTemporality: number;
  /** Sums only. */
  isMonotonic: boolean;
}

/** An exemplar: a sampled measurement with the span it was taken in (ids in hex). */
export interface OtlpExemplar {
  filteredAttributes: Attributes;
  timeUnixNano: bigint;
  value: number;
  spanId: string;
  traceId: string;
}

/** Fields shared by every data point kind. */
interface PointBase {
  resource: OtlpResource;
  scope: OtlpScope;
  metric: OtlpMetricInfo;
  attributes: Attributes;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  flags: number;
}

/** A Sum or Gauge point. */
export interface NumberPoint extends PointBase {
  kind: 'sum' | 'gauge';
  value: number;
  exemplars: OtlpExemplar[];
}

/** An explicit-bucket Histogram point. Counts are decimal strings (uint64, exact). */
export interface HistogramPoint extends PointBase {
  kind: 'histogram';
  count: bigint;
  sum: number;
  min: number;
  max: number;
  bucketCounts: bigint[];
  explicitBounds: number[];
  exemplars: OtlpExemplar[];
}

/** An ExponentialHistogram point. */
export interface ExponentialHistogramPoint extends PointBase {
  kind: 'exponential_histogram';
  count: bigint;
  sum: number;
  min: number;
  max: number;
  scale: number;
  zeroCount: bigint;
  positiveOffset: number;
  positiveBucketCounts: bigint[];
  negativeOffset: number;
  negativeBucketCounts: bigint[];
  exemplars: OtlpExemplar[];
}

/** A Summary point. */
export interface SummaryPoint extends PointBase {
  kind: 'summary';
  count: bigint;
  sum: number;
  quantiles: { quantile: number; value: number }[];
}

/** One decoded data point of any kind. */
export type OtlpMetricPoint = NumberPoint | HistogramPoint | ExponentialHistogramPoint | SummaryPoint;
