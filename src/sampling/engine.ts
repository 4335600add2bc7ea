/**
 * The decision engine: drop rules → keep policies → budgets → baseline, with reasons and sample weights.
 * Deterministic: every draw is a stable hash of the session key, and learning state (sketches, budget
 * windows) changes only in decide(), in call order, with time from the injected clock.
 */
import { Registry } from 'prom-client';
import type { ResidencyConfig } from '../config/residency.js';
import type { SamplingConfig } from '../config/sampling.js';
import type { Logger } from '../log.js';
import { Pricer } from '../pricing/pricer.js';
import { DetectorSet } from './detectors/detector-set.js';
import type { PriceUsage } from './detectors/session-spans.js';
import { AttributeRules } from './policies/attribute-rules.js';
import { BaselinePolicy, baselineHash, sessionKey } from './policies/baseline.js';
import { agentKeyOf, CostOutlierPolicy } from './policies/cost-outlier.js';
import { ErrorPolicy } from './policies/error.js';
import { LatencyPolicy } from './policies/latency.js';
import { LowEvalPolicy } from './policies/low-eval.js';
import { RarePathPolicy } from './policies/rare-path.js';
import { ResidencyPolicy } from './policies/residency.js';
import type { Vote } from './policies/vote.js';
import { Budget } from './budget.js';
import { unitHash, seedOf } from './hash.js';
import { SamplingMetrics } from './metrics.js';
import type { SessionView } from './session-view.js';
import type { Decision, DecisionTrigger } from './types.js';
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
  private readonly errorPolicy = new ErrorPolicy();
  private readonly lowEval: LowEvalPolicy;
  private readonly rules: AttributeRules;
  private readonly costOutlier: CostOutlierPolicy;
  private readonly latency: LatencyPolicy;
  private readonly rarePath: RarePathPolicy;
  private readonly baseline: BaselinePolicy;
  private readonly budget: Budget;
  private readonly detectors: DetectorSet;
  private readonly residency: ResidencyPolicy | null;
  private readonly seeds = new Map<string, number>();
  private readonly keptElsewhere: KeptElsewhere;

  constructor(params: DecisionEngineParams) {
    const { config } = params;
    this.config = config;
    this.now = params.now ?? Date.now;
    this.log = params.log;
    const registry = params.registry ?? new Registry();
    this.metrics = new SamplingMetrics({ registry });
    this.residency = params.residency?.enabled === true ? new ResidencyPolicy({ config: params.residency, registry }) : null;
    this.lowEval = new LowEvalPolicy({ config: config.policies.lowEval });
    this.rules = new AttributeRules({ rules: config.rules });
    this.costOutlier = new CostOutlierPolicy({ config: config.policies.costOutlier });
    this.latency = new LatencyPolicy({ config: config.policies.latency });
    this.rarePath = new RarePathPolicy({ config: config.policies.rarePath });
    this.baseline = new BaselinePolicy({ rate: config.policies.baseline.enabled ? config.baselineRate : 0 });
    this.budget = new Budget({ config: config.budget });
    const pricer = params.priceUsage === undefined ? new Pricer() : null;
    this.detectors = new DetectorSet({ config: config.policies.detectors, priceUsage: params.priceUsage ?? ((p) => pricer!.priceUsage(p)) });
    this.keptElsewhere = params.keptElsewhere ?? NO_OTHERS;
  }

  /** Decides a complete session: drop rules → keep policies → budgets → baseline. Deterministic (hashes, not Math.random). */
  decide(view: SessionView, trigger: DecisionTrigger): Decision {
    const nowMs = this.now();
    const { summary } = view;
    const markers: string[] = trigger === 'early:memory' ? ['early:memory'] : [];

    const dropRule = this.rules.dropRule(view);
    if (dropRule !== null) {
      // An explicit drop wins over every keep policy, and its sessions teach the sketches nothing.
      return this.finish({ kept: false, reasons: [`drop:${dropRule}`, ...markers], sampleWeight: 0, trigger, decidedAtMs: nowMs }, false);
    }

    const detection = this.detectors.detect(view.spans, summary.agentNames);
    const votes = this.votes(view, nowMs, detection.votes);
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
    if (detection.report !== null) {
      decision.detectors = detection.report;
      this.metrics.countDetections(detection.report.fired);
    }
    const excused = this.config.policies.error.enabled ? this.errorPolicy.excused(view) : 0;
    if (excused > 0) decision.excusedErrors = excused;
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
    if (this.config.policies.error.enabled && this.errorPolicy.hasError(view, previous.excusedErrors)) upgrades.push('error');
    if (this.config.policies.lowEval.enabled && this.lowEval.vote(view) !== null) upgrades.push('low_eval');
    if (this.residency !== null && this.residency.vote(view) !== null) upgrades.push('residency');
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
    const p = this.config.policies;
    if (p.costOutlier.enabled) this.costOutlier.learn(view);
    if (p.latency.enabled) this.latency.vote(view);
    if (p.rarePath.enabled) this.rarePath.vote(view, decided.decidedAtMs);
  }

  /** True while this tenant + agent set has taught the cost quantiles fewer sessions than the warm-up (warm start seeds it). */
  isCold(tenantId: string, agentNames: readonly string[]): boolean {
    return this.costOutlier.count(agentKeyOf(tenantId, agentNames)) < this.config.policies.costOutlier.warmupCount;
  }

  /** Every keep vote, in reason order. Learning policies run even when an earlier policy already keeps. */
  private votes(view: SessionView, nowMs: number, detected: readonly Vote[]): Vote[] {
    const p = this.config.policies;
    const out: Vote[] = [...this.rules.votes(view)];
    const push = (v: Vote | null): void => {
      if (v !== null) out.push(v);
    };
    if (p.error.enabled) push(this.errorPolicy.vote(view));
    if (this.residency !== null) push(this.residency.vote(view));
    if (p.lowEval.enabled) push(this.lowEval.vote(view));
    out.push(...detected);
    if (p.costOutlier.enabled) {
      push(this.costOutlier.vote(view));
      this.costOutlier.learn(view);
    }
    if (p.latency.enabled) push(this.latency.vote(view));
    if (p.rarePath.enabled) push(this.rarePath.vote(view, nowMs));
    push(this.baseline.vote());
    return out;
  }

  /** The uniform draw a vote is compared with: the shared baseline hash, or a per-policy salted hash. */
  private draw(vote: Vote, key: string, summary: SessionView['summary']): number {
    if (vote.reason === 'baseline') return baselineHash(summary);
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
