/** Prometheus metrics of the sampling stage, created on the registry passed in. */
import { Counter, type Registry } from 'prom-client';

/** Counters for decisions, reasons, upgrades and budget thinning. */
export class SamplingMetrics {
  /** Sessions decided, by outcome (kept / dropped). */
  readonly decisions: Counter<'outcome'>;
  /** One count per reason on each decision, by outcome. */
  readonly reasons: Counter<'outcome' | 'reason'>;
  /** Dropped sessions turned kept, by the policy that upgraded them. */
  readonly upgrades: Counter<'policy'>;
  /** Sessions whose keep probability the budget lowered, by final outcome. */
  readonly thinned: Counter<'outcome'>;

  constructor(params: { registry: Registry }) {
    const registers = [params.registry];
    this.decisions = new Counter({
      name: 'agenttail_sampling_decisions_total',
      help: 'Sessions decided, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.reasons = new Counter({
      name: 'agenttail_sampling_decision_reasons_total',
      help: 'Reasons carried by decisions (a decision with several reasons counts once per reason), by outcome.',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.upgrades = new Counter({
      name: 'agenttail_sampling_upgrades_total',
      help: 'Dropped sessions upgraded to kept by a later error or low eval, by policy.',
      labelNames: ['policy'],
      registers,
    });
    this.thinned = new Counter({
      name: 'agenttail_sampling_budget_thinned_total',
      help: 'Sessions whose keep probability the per-tenant budget lowered, by final outcome.',
      labelNames: ['outcome'],
      registers,
    });
  }
}
