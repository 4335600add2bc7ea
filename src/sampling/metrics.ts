/** Prometheus metrics of the sampling stage, created on the registry passed in. */
import { Counter, type Registry } from 'prom-client';
import { TalliedCounter, type TallySlot } from '../metric-tally.js';

type Outcome = 'kept' | 'dropped';

/** Counters for decisions, reasons, upgrades and budget thinning. */
export class SamplingMetrics {
  /** Sessions decided, by outcome (kept / dropped); counted per decision, so tallied (see metric-tally.ts). */
  readonly decisions: TalliedCounter<'outcome'>;
  /** One count per reason on each decision, by outcome. */
  readonly reasons: TalliedCounter<'outcome' | 'reason'>;
  /** Dropped sessions turned kept, by the policy that upgraded them. */
  readonly upgrades: Counter<'policy'>;
  /** Sessions whose keep probability the budget lowered, by final outcome. */
  readonly thinned: TalliedCounter<'outcome'>;
  /** Sessions each detector fired on (any outcome: a thinned or rule-dropped session still had the pattern). */
  readonly detections: TalliedCounter<'detector'>;
  private readonly detectionSlot: (detector: string) => TallySlot;
  private readonly decisionSlots: Record<Outcome, TallySlot>;
  private readonly thinnedSlots: Record<Outcome, TallySlot>;
  private readonly reasonSlots: Record<Outcome, (reason: string) => TallySlot>;

  constructor(params: { registry: Registry }) {
    const registers = [params.registry];
    this.decisions = new TalliedCounter({
      name: 'agenttail_sampling_decisions_total',
      help: 'Sessions decided, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.reasons = new TalliedCounter({
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
    this.thinned = new TalliedCounter({
      name: 'agenttail_sampling_budget_thinned_total',
      help: 'Sessions whose keep probability the per-tenant budget lowered, by final outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.detections = new TalliedCounter({
      name: 'agenttail_sampling_detections_total',
      help: 'Sessions a detector fired on (tool_loop, retry_storm, duplicate_tool_call, budget_race, stalled, runaway, cache_collapse, cache_churn), by detector.',
      labelNames: ['detector'],
      registers,
    });
    this.detectionSlot = this.detections.keyed((detector) => ({ detector }));
    this.decisionSlots = { kept: this.decisions.slot({ outcome: 'kept' }), dropped: this.decisions.slot({ outcome: 'dropped' }) };
    this.thinnedSlots = { kept: this.thinned.slot({ outcome: 'kept' }), dropped: this.thinned.slot({ outcome: 'dropped' }) };
    // Reasons repeat across decisions ('baseline', 'rule:<name>', ...): one slot per outcome and reason, made once.
    this.reasonSlots = { kept: this.reasons.keyed((reason) => ({ outcome: 'kept', reason })), dropped: this.reasons.keyed((reason) => ({ outcome: 'dropped', reason })) };
  }

  /** Counts the detectors that fired on one session. */
  countDetections(fired: readonly string[]): void {
    for (const d of fired) this.detectionSlot(d).n += 1;
  }

  /** Counts one decision: its outcome, each reason ('none' without one), and whether the budget thinned it. */
  countDecision(kept: boolean, reasons: readonly string[], thinned: boolean): void {
    const outcome: Outcome = kept ? 'kept' : 'dropped';
    this.decisionSlots[outcome].n += 1;
    const reasonSlot = this.reasonSlots[outcome];
    if (reasons.length === 0) reasonSlot('none').n += 1;
    for (const reason of reasons) reasonSlot(reason).n += 1;
    if (thinned) this.thinnedSlots[outcome].n += 1;
  }
}
