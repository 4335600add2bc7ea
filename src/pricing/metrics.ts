/** Prometheus metrics of pricing, created on the registry passed in. */
import type { Registry } from 'prom-client';
import type { SpanCost, UsageIncomplete } from '../model/span.js';
import { TalliedCounter, type TallySlot } from '../metric-tally.js';

/** Spans priced, by cost source (reported, catalog, unknown, none). */
export class PricingMetrics {
  /** Counted per span, so tallied (see metric-tally.ts): use countPriced. */
  readonly spansPriced: TalliedCounter<'source'>;
  private readonly bySource: Record<SpanCost['source'], TallySlot>;
  /** Model calls priced without a cache part their price has, by kind: use countIncomplete. */
  readonly usageIncomplete: TalliedCounter<'kind'>;
  private readonly byKind: Record<UsageIncomplete, TallySlot>;

  constructor(registry: Registry) {
    this.spansPriced = new TalliedCounter({
      name: 'agenttail_pricing_spans_total',
      help: 'Spans priced, by cost source (unknown = model-call span whose model has no price)',
      labelNames: ['source'],
      registers: [registry],
    });
    const slot = (source: SpanCost['source']): TallySlot => this.spansPriced.slot({ source });
    this.bySource = { reported: slot('reported'), catalog: slot('catalog'), unknown: slot('unknown'), none: slot('none') };
    this.usageIncomplete = new TalliedCounter({
      name: 'agenttail_pricing_usage_incomplete_total',
      help: 'Model calls priced as if nothing was cached because the client reported no cache part that their price has, by missing part',
      labelNames: ['kind'],
      registers: [registry],
    });
    const kind = (k: UsageIncomplete): TallySlot => this.usageIncomplete.slot({ kind: k });
    this.byKind = { cache_read: kind('cache_read'), cache_write: kind('cache_write'), 'cache_read+cache_write': kind('cache_read+cache_write') };
  }

  /** Counts one model call flagged `usageIncomplete`. */
  countIncomplete(kind: UsageIncomplete): void {
    this.byKind[kind].n += 1;
  }

  /** Counts one priced span by the source of its cost. */
  countPriced(source: SpanCost['source']): void {
    this.bySource[source].n += 1;
  }
}
