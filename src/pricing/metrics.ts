/** Prometheus metrics of pricing, created on the registry passed in. */
import { Counter, type Registry } from 'prom-client';

/** Spans priced, by cost source (reported, catalog, unknown, none). */
export class PricingMetrics {
  readonly spansPriced: Counter<'source'>;

  constructor(registry: Registry) {
    this.spansPriced = new Counter({
      name: 'agenttail_pricing_spans_total',
      help: 'Spans priced, by cost source (unknown = model-call span whose model has no price)',
      labelNames: ['source'],
      registers: [registry],
    });
  }
}
