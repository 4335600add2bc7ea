/** Values of the metrics stage (OTLP metric data points, not the collector's own Prometheus series). */
import type { MetricTable } from '../store/metric-rows.js';

/** One accepted data point, tenant resolved, as the row of its otel_metrics_* table. */
export interface MetricRow {
  table: MetricTable;
  row: Record<string, unknown>;
}
