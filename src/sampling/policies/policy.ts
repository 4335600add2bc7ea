/**
 * The keep-policy role (as the detectors have theirs in detectors/detector.ts): one interface, one class per policy,
 * one list built from config (build-policies.ts), one loop in the engine. A policy that is off is not in the list, so
 * nothing asks whether it is on. Learning and upgrading are separate roles a policy may also take: voting never
 * changes what a policy has learned, so every vote of a session reads what was learned before it.
 */
import type { SessionView } from '../../model/session-view.js';
import type { Decision } from '../../model/decision.js';
import type { Vote } from '../basis/vote.js';

/** What a policy found that goes on the decision beside its votes (the session row's detector figures, excused errors). */
export type DecisionNotes = Pick<Decision, 'detectors' | 'excusedErrors'>;

/** One decision in progress: its clock, and where a policy leaves notes for the decision (new for every session). */
export interface VoteContext {
  readonly nowMs: number;
  readonly notes: DecisionNotes;
}

/** A keep policy: the votes it casts on a session not dropped by a drop rule. */
export interface KeepPolicy extends Partial<Learner>, Partial<Upgrader>, Partial<ColdStart> {
  /** The policy's name: its reason, and in `upgrade:<name>` for an upgrader ('rules' and 'detectors' cast several reasons). */
  readonly name: string;
  /** Every keep vote on the session, none when it has nothing to say. Reads what the policy learned; never learns. */
  votes(view: SessionView, ctx: VoteContext): readonly Vote[];
  /**
   * The uniform draw in [0, 1) a vote whose reason is this policy's name is compared with. Absent: a hash of the
   * session key salted by the reason. The baseline gives its shared hash, so every instance keeps the same sessions.
   */
  draw?(summary: SessionView['summary']): number;
}

/** A policy whose learning can be seeded by warm start: it says which tenant + agent sets it has not learned enough of. */
export interface ColdStart {
  isCold(tenantId: string, agentNames: readonly string[]): boolean;
}

/**
 * A policy that learns from every decided session (cost and latency quantiles, rare-path counts). The engine teaches
 * it after all votes of the session are cast, and recovery and warm start teach it logged or stored sessions without
 * a vote, which is why learning is a method of its own and not a side effect of voting.
 */
export interface Learner {
  /** Learns one session decided at `nowMs` (not dropped by a drop rule). Reads only the summary. */
  learn(view: SessionView, nowMs: number): void;
}

/** A policy whose keep can come late: a dropped session is kept when later spans or evals make this true. */
export interface Upgrader {
  /** True when the session, dropped as `previous`, now deserves a certain keep (reason `upgrade:<name>`). */
  upgrades(view: SessionView, previous: Decision): boolean;
}

/** The explicit drop check: runs before any keep policy, and its drop wins over every vote, teaches nothing, is never upgraded. */
export interface DropRule {
  /** The name of the rule that drops the session, or null. */
  dropRule(view: SessionView): string | null;
}

/** A policy that learns. */
export function isLearner(p: KeepPolicy): p is KeepPolicy & Learner {
  return p.learn !== undefined;
}

/** A policy warm start asks whether a tenant + agent set is cold. */
export function isColdStart(p: KeepPolicy): p is KeepPolicy & ColdStart {
  return p.isCold !== undefined;
}

/** A policy that can upgrade a dropped session. */
export function isUpgrader(p: KeepPolicy): p is KeepPolicy & Upgrader {
  return p.upgrades !== undefined;
}

/** No votes (shared, so a policy with nothing to say allocates nothing). */
export const NO_VOTES: readonly Vote[] = [];

/** A single vote or none, as a list. */
export function voteList(vote: Vote | null): readonly Vote[] {
  return vote === null ? NO_VOTES : [vote];
}

/**
 * A value of one session computed once per view: `votes` and then `learn` get the same view object within a decision,
 * so what both need (path keys, the agent key) is derived once. One entry, by identity: the next view replaces it.
 */
export function perView<T>(compute: (view: SessionView) => T): (view: SessionView) => T {
  let last: SessionView | null = null;
  let value: T;
  return (view) => {
    if (view !== last) {
      value = compute(view);
      last = view;
    }
    return value;
  };
}
