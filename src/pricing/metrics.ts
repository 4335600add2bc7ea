/** Prometheus metrics of pricing, created on the registry passed in. */
import type { Registry } from 'prom-client';
import type { SpanCost } from '../conventions/types.js';
import { TalliedCounter, type TallySlot } from '../metric-tally.js';

/** Spans priced, by cost source (reported, catalog, unknown, none). */
export class PricingMetrics {
  /** Counted per span, so tallied (see metric-tally.ts): use countPriced. */
  readonly spansPriced: TalliedCounter<'source'>;
  private readonly bySource: Record<SpanCost['source'], TallySlot>;

  constructor(registry: Registry) {
    this.spansPriced = new TalliedCounter({
      name: 'agenttail_pricing_spans_total',
      help: 'Spans priced, by cost source (unknown = model-call span whose model has no price)',
      labelNames: ['source'],
      registers: [registry],
    });
    const slot = (source: SpanCost['source']): TallySlot => this.spansPriced.slot({ source });
    this.bySource = { reported: slot('reported'), catalog: slot('catalog'), unknown: slot('unknown'), none: slot('none') };
  }

  /** Counts one priced span by the source of its cost. */
  countPriced(source: SpanCost['source']): void {
    this.bySource[source].n += 1;
  }
}
