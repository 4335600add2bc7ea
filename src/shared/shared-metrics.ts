/** Prometheus metrics of shared decisions (src/shared/), created on the registry passed in. */
import { Counter, type Registry } from 'prom-client';

/** Counters of publishing, reading and following kept decisions across instances. */
export class SharedMetrics {
  /** Kept decisions written to the decisions table. */
  readonly published: Counter;
  /** Kept decisions not published because the queue was full (other instances will not follow them). */
  readonly dropped: Counter;
  /** Rows of other instances read, by what they did here (upgraded / kept / held / repeat). */
  readonly read: Counter<'outcome'>;
  /** Sessions decided here that were kept because another instance kept them. */
  readonly followed: Counter;
  /** Queries against ClickHouse, by kind (insert / select) and outcome (ok / failed). */
  readonly queries: Counter<'kind' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.published = new Counter({ name: 'agenttail_shared_decisions_published_total', help: 'Kept decisions written to the decisions table for other instances.', registers });
    this.dropped = new Counter({ name: 'agenttail_shared_decisions_dropped_total', help: 'Kept decisions not published because the publish queue was full.', registers });
    this.read = new Counter({
      name: 'agenttail_shared_decisions_read_total',
      help: 'Kept decisions of other instances read, by outcome here (upgraded: a dropped part became kept; kept: already kept; held: open or unknown here, followed when decided; repeat: the session was already read, kept by another instance too).',
      labelNames: ['outcome'],
      registers,
    });
    this.followed = new Counter({ name: 'agenttail_shared_decisions_followed_total', help: 'Sessions decided here that were kept because another instance had kept them.', registers });
    this.queries = new Counter({ name: 'agenttail_shared_decisions_queries_total', help: 'Shared-decision queries against ClickHouse, by kind (insert/select) and outcome (ok/failed).', labelNames: ['kind', 'outcome'], registers });
  }
}
