/**
 * The decision engine: drop rules → keep policies → budgets → baseline, with reasons and sample weights.
 * Deterministic: every draw is a stable hash of the session key, and learning state (sketches, budget
 * windows) changes only in decide(), in call order, with time from the injected clock. The keep policies are one
 * list (policies/build-policies.ts); the engine loops over it and knows no policy by name.
 */
import { Registry } from 'prom-client';
import type { ResidencyConfig } from '../config/residency.js';
import type { SamplingConfig } from '../config/sampling.js';
import type { Logger } from '../log.js';
import { Pricer } from '../pricing/pricer.js';
import type { PriceUsage } from './detectors/session-spans.js';
import { sessionKey } from './policies/baseline.js';
import { buildDropRules, buildPolicies, upgradersOf } from './policies/build-policies.js';
import { isColdStart, isLearner, type ColdStart, type DecisionNotes, type DropRule, type KeepPolicy, type Learner, type Upgrader } from './policies/policy.js';
import type { Vote } from './basis/vote.js';
import { Budget } from './budget.js';
import { PROVIDER_URL_KEYS } from './detectors/stalled.js';
import { unitHash, seedOf } from './basis/hash.js';
import { SamplingMetrics } from './metrics.js';
import type { SessionView } from '../model/session-view.js';
import type { Decision, DecisionTrigger } from '../model/decision.js';
import { inclusionProbability } from './weight.js';

export interface DecisionEngineParams {
  config: SamplingConfig;
  /** Per-tenant residency policies (the `residency` keep policy); none when absent. */
  residency?: ResidencyConfig;
  /** Where the metrics go; a private registry when absent (never the global default). */
  registry?: Registry;
  /** Wall clock, ms since the epoch (tests inject one). */
  now?: () => number;
  log?: Logger;
  /** Catalog prices for the cache detectors' extra cost (the shipped catalog when absent). */
  priceUsage?: PriceUsage;
  /** Sessions other instances kept (src/shared/): a session this engine would drop is kept with their weight. */
  keptElsewhere?: KeptElsewhere;
}

/** Kept decisions made by other instances: the sample weight of one, or undefined. */
export interface KeptElsewhere {
  weightOf(tenantId: string, sessionId: string): number | undefined;
}

/** No other instance (a null object: the engine never tests for one). */
const NO_OTHERS: KeptElsewhere = { weightOf: () => undefined };

/** Decides complete sessions and reconsiders dropped ones when errors or low evals arrive later. */
export class DecisionEngine {
  private readonly config: SamplingConfig;
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  private readonly metrics: SamplingMetrics;
  private readonly dropRules: DropRule;
  /** The keep policies that are on, in vote order. */
  private readonly policies: readonly KeepPolicy[];
  /** Those of them that learn, in the same order. */
  private readonly learners: readonly Learner[];
  /** Those of them that can upgrade a dropped session, in upgrade-reason order. */
  private readonly upgraders: readonly (KeepPolicy & Upgrader)[];
  /** Those that say whether a key is cold for warm start (none: every key is cold). */
  private readonly coldStarts: readonly ColdStart[];
  /** The draw of each policy that has its own (by its name, which is its votes' reason). */
  private readonly ownDraws: ReadonlyMap<string, (summary: SessionView['summary']) => number>;
  private readonly budget: Budget;
  private readonly seeds = new Map<string, number>();
  private readonly keptElsewhere: KeptElsewhere;
  /** Span attribute keys decisions read (attribute rules, the stalled detector): the buffer keeps them on lean spans. */
  readonly attributeKeys: ReadonlySet<string>;

  constructor(params: DecisionEngineParams) {
    const { config } = params;
    this.config = config;
    this.now = params.now ?? Date.now;
    this.log = params.log;
    const registry = params.registry ?? new Registry();
    this.metrics = new SamplingMetrics({ registry });
    const pricer = params.priceUsage === undefined ? new Pricer() : null;
    this.dropRules = buildDropRules(config);
    this.policies = buildPolicies(config, params.residency, registry, params.priceUsage ?? ((p) => pricer!.priceUsage(p)));
    this.learners = this.policies.filter(isLearner);
    this.upgraders = upgradersOf(this.policies);
    this.coldStarts = this.policies.filter(isColdStart);
    this.ownDraws = new Map(this.policies.flatMap((p) => (p.draw === undefined ? [] : [[p.name, p.draw.bind(p)] as const])));
    this.budget = new Budget({ config: config.budget });
    this.keptElsewhere = params.keptElsewhere ?? NO_OTHERS;
    const ruleKeys = config.rules.flatMap((r) => r.conditions.filter((c) => c.source === 'attribute').map((c) => c.key));
    this.attributeKeys = new Set([...ruleKeys, ...PROVIDER_URL_KEYS]);
  }

  /** Decides a complete session: drop rules → keep policies → budgets → baseline. Deterministic (hashes, not Math.random). */
  decide(view: SessionView, trigger: DecisionTrigger): Decision {
    const nowMs = this.now();
    const { summary } = view;
    const markers: string[] = trigger === 'early:memory' ? ['early:memory'] : [];

    const dropRule = this.dropRules.dropRule(view);
    if (dropRule !== null) {
      // An explicit drop wins over every keep policy, and its sessions teach the sketches nothing.
      return this.finish({ kept: false, reasons: [`drop:${dropRule}`, ...markers], sampleWeight: 0, trigger, decidedAtMs: nowMs }, false);
    }

    const notes: DecisionNotes = {};
    const votes = this.votes(view, nowMs, notes);
    // Every vote read what was learned before this session; now the session is learned (whatever the votes said).
    for (const learner of this.learners) learner.learn(view, nowMs);
    const key = sessionKey(summary);
    const draws = votes.map((v) => this.draw(v, key, summary));
    const fired = votes.filter((v, i) => draws[i]! < v.probability);

    const topClass = this.budget.topClass(fired.map((v) => v.policyClass));
    const q = this.budget.admit(summary.tenantId, topClass, nowMs);
    const effective = votes.map((v) => v.probability * q(v.policyClass));
    const kept = votes.some((_, i) => draws[i]! < effective[i]!);

    const before = inclusionProbability(votes.map((v) => v.probability));
    const after = inclusionProbability(effective);
    const thinned = fired.length > 0 && after < before;
    const reasons = [...new Set(fired.map((v) => v.reason))];
    if (thinned) reasons.push('budget:thinned');
    reasons.push(...markers);

    // Kept is monotonic across instances: a part of a session another instance kept is kept, with that weight.
    const elsewhere = kept ? undefined : this.keptElsewhere.weightOf(summary.tenantId, summary.sessionId);
    if (elsewhere !== undefined) {
      this.budget.recordKept(summary.tenantId, nowMs);
      return this.finish({ kept: true, reasons: [...reasons, 'shared'], sampleWeight: elsewhere, trigger, decidedAtMs: nowMs }, thinned);
    }
    if (kept) this.budget.recordKept(summary.tenantId, nowMs);
    // Dropped sessions stand for no one but themselves, and their session row is always written: weight 0.
    const decision: Decision = { kept, reasons, sampleWeight: kept ? 1 / after : 0, trigger, decidedAtMs: nowMs };
    if (notes.detectors !== undefined) {
      decision.detectors = notes.detectors;
      this.metrics.countDetections(notes.detectors.fired);
    }
    if (notes.excusedErrors !== undefined) decision.excusedErrors = notes.excusedErrors;
    return this.finish(decision, thinned);
  }

  /**
   * After new spans or evals for an already-decided session: a dropped session becomes kept when the new
   * view has an error or a low eval (reasons gain `upgrade:error` / `upgrade:low_eval`, trigger 'upgrade');
   * returns null when nothing changes. A kept decision is never downgraded (returns null), and a session
   * dropped by an explicit drop rule stays dropped.
   */
  reconsider(previous: Decision, view: SessionView): Decision | null {
    if (previous.kept) return null;
    if (previous.reasons.some((r) => r.startsWith('drop:'))) return null;
    const upgrades: string[] = [];
    // Every upgrader is asked, even after one said yes (the residency counter counts each check).
    for (const policy of this.upgraders) if (policy.upgrades(view, previous)) upgrades.push(policy.name);
    if (upgrades.length === 0) return null;

    const nowMs = this.now();
    this.budget.recordKept(view.summary.tenantId, nowMs);
    for (const policy of upgrades) this.metrics.upgrades.inc({ policy });
    this.log?.debug({ tenantId: view.summary.tenantId, sessionId: view.summary.sessionId, upgrades }, 'session upgraded to kept');
    const reasons = [...previous.reasons, ...upgrades.map((p) => `upgrade:${p}`).filter((r) => !previous.reasons.includes(r))];
    // Errors and low evals keep with certainty: weight 1.
    // Detectors ran when the session was decided; their findings stay with it.
    return { ...previous, kept: true, reasons, sampleWeight: 1, trigger: 'upgrade', decidedAtMs: nowMs };
  }

  /**
   * Teaches the learning policies (cost and latency quantiles, rare-path counts) a session decided earlier, without
   * deciding: recovery replays logged decisions through it so the sketches do not start cold after a restart.
   * These policies read only the summary. A session dropped by an explicit drop rule taught nothing; nor does it here.
   */
  learn(view: SessionView, decided: Decision): void {
    if (decided.reasons.some((r) => r.startsWith('drop:'))) return;
    for (const learner of this.learners) learner.learn(view, decided.decidedAtMs);
  }

  /** True while a policy that learns per tenant + agent set has not learned enough of it (warm start seeds it); always without one. */
  isCold(tenantId: string, agentNames: readonly string[]): boolean {
    return this.coldStarts.length === 0 || this.coldStarts.some((p) => p.isCold(tenantId, agentNames));
  }

  /** Every keep vote, in reason order; what the policies note for the decision goes into `notes`. */
  private votes(view: SessionView, nowMs: number, notes: DecisionNotes): Vote[] {
    const ctx = { nowMs, notes };
    const out: Vote[] = [];
    for (const policy of this.policies) for (const v of policy.votes(view, ctx)) out.push(v);
    return out;
  }

  /** The uniform draw a vote is compared with: its policy's own (the baseline's shared hash), or a per-reason salted hash. */
  private draw(vote: Vote, key: string, summary: SessionView['summary']): number {
    const own = this.ownDraws.get(vote.reason);
    if (own !== undefined) return own(summary);
    let seed = this.seeds.get(vote.reason);
    if (seed === undefined) {
      seed = seedOf(vote.reason);
      this.seeds.set(vote.reason, seed);
    }
    return unitHash(key, seed);
  }

  private finish(decision: Decision, thinned: boolean): Decision {
    this.metrics.countDecision(decision.kept, decision.reasons, thinned);
    return decision;
  }
}
