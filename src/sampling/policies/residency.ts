/** Policy `residency`: keep a session with a model call outside its tenant's allowed regions (docs/providers.md). */
import { Counter, type Registry } from 'prom-client';
import type { ResidencyConfig } from '../../config/residency.js';
import { isModelCall } from '../../conventions/provider-call.js';
import type { SessionView } from '../../model/session-view.js';
import { ResidencyRules } from '../basis/residency-check.js';
import { voteList, type KeepPolicy, type Upgrader } from './policy.js';
import type { Vote } from '../basis/vote.js';

/** What one session's calls show against its tenant's policy. */
export interface ResidencyFinding {
  violations: number;
  unknown: number;
}

/** Votes keep (with certainty) for a residency violation, or an unlocated call under `unknownRegion: keep`. */
export class ResidencyPolicy implements KeepPolicy, Upgrader {
  readonly name = 'residency';
  private readonly rules: ResidencyRules;
  private readonly sessions: Counter<'outcome'>;

  constructor(params: { config: ResidencyConfig; registry: Registry }) {
    this.rules = new ResidencyRules(params.config);
    this.sessions = new Counter({
      name: 'agenttail_residency_sessions_total',
      help: 'Sessions with model calls outside their tenant residency policy, by outcome (violation, unknown_kept, unknown_flagged).',
      labelNames: ['outcome'],
      registers: [params.registry],
    });
  }

  /** Counts the session's model calls outside the allowed regions and those not located. */
  find(view: SessionView): ResidencyFinding {
    const tenant = view.summary.tenantId;
    const out: ResidencyFinding = { violations: 0, unknown: 0 };
    if (this.rules.policyOf(tenant) === null) return out;
    for (const s of view.spans) {
      if (!isModelCall(s)) continue;
      const status = this.rules.status(tenant, s.call.region);
      if (status === 'violation') out.violations += 1;
      else if (status === 'unknown') out.unknown += 1;
    }
    return out;
  }

  /** A certain keep vote when the session breaks its tenant's policy (counted in /metrics), else null. */
  vote(view: SessionView): Vote | null {
    const f = this.find(view);
    if (f.violations === 0 && f.unknown === 0) return null;
    const unknownChoice = this.rules.policyOf(view.summary.tenantId)!.unknownRegion;
    if (f.violations > 0) this.sessions.inc({ outcome: 'violation' });
    else if (unknownChoice === 'keep') this.sessions.inc({ outcome: 'unknown_kept' });
    else if (unknownChoice === 'flag') this.sessions.inc({ outcome: 'unknown_flagged' });
    const keeps = f.violations > 0 || unknownChoice === 'keep';
    return keeps ? { reason: 'residency', policyClass: 'residency', probability: 1 } : null;
  }

  /** The vote as a list (the KeepPolicy form). */
  votes(view: SessionView): readonly Vote[] {
    return voteList(this.vote(view));
  }

  /** Later spans may carry a call out of region: that upgrades the session. Each check counts in the residency counter, as a vote does. */
  upgrades(view: SessionView): boolean {
    return this.vote(view) !== null;
  }
}
