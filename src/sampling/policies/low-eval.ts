/** Policy `low_eval`: keep sessions with an eval score under its threshold or a failing label. */
import type { EvalResult } from '../../model/span.js';
import type { SamplingConfig } from '../../config/sampling.js';
import type { SessionView } from '../../model/session-view.js';
import { voteList, type KeepPolicy, type Upgrader } from './policy.js';
import type { Vote } from '../basis/vote.js';

/** Votes keep when any eval of the session (summary or spans) is low. */
export class LowEvalPolicy implements KeepPolicy, Upgrader {
  readonly name = 'low_eval';
  private readonly defaultThreshold: number;
  private readonly thresholds: ReadonlyMap<string, number>;
  private readonly failingLabels: ReadonlySet<string>;

  constructor(params: { config: SamplingConfig['policies']['lowEval'] }) {
    this.defaultThreshold = params.config.defaultThreshold;
    this.thresholds = new Map(Object.entries(params.config.thresholds));
    this.failingLabels = new Set(params.config.failingLabels.map((l) => l.toLowerCase()));
  }

  /** True when the eval's score is under its threshold or its label is a failing one. */
  isLow(ev: EvalResult): boolean {
    if (ev.score !== null && Number.isFinite(ev.score)) {
      const threshold = this.thresholds.get(ev.name) ?? this.defaultThreshold;
      if (ev.score < threshold) return true;
    }
    return ev.label !== null && this.failingLabels.has(ev.label.trim().toLowerCase());
  }

  /** A certain keep vote when any eval is low, else null. */
  vote(view: SessionView): Vote | null {
    // Evals may sit on the summary (late evals) or still on spans; either counts.
    const low = view.summary.evals.some((e) => this.isLow(e)) || view.spans.some((s) => s.evals.some((e) => this.isLow(e)));
    return low ? { reason: 'low_eval', policyClass: 'low_eval', probability: 1 } : null;
  }

  /** The vote as a list (the KeepPolicy form). */
  votes(view: SessionView): readonly Vote[] {
    return voteList(this.vote(view));
  }

  /** Evals often arrive after the session was decided: a low one upgrades it. */
  upgrades(view: SessionView): boolean {
    return this.vote(view) !== null;
  }
}
