/** Prometheus metrics of normalization, created on the registry passed in. */
import { Counter, type Registry } from 'prom-client';

/** Counts what normalization found wrong or absent (nothing is dropped here; problems are recorded). */
export class ConventionsMetrics {
  readonly usageViolations: Counter<'violation'>;
  readonly callsWithoutUsage: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.usageViolations = new Counter({
      name: 'agenttail_normalize_usage_violations_total',
      help: 'Spans whose token parts exceed their totals, by violation (recorded on the span, not fixed)',
      labelNames: ['violation'],
      registers,
    });
    this.callsWithoutUsage = new Counter({ name: 'agenttail_normalize_calls_without_usage_total', help: 'Model-call spans that reported no token usage', registers });
  }
}
