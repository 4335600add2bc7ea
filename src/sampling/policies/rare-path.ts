/** Policy `rare_path`: keep sessions whose tool trajectory is rare for their tenant. */
import { LRUCache } from 'lru-cache';
import type { SamplingConfig } from '../../config/sampling.js';
import type { SessionView } from '../../model/session-view.js';
import { DecayingCountMin } from '../sketches/decaying-count-min.js';
import { trajectoryKey, turnPaths } from '../basis/trajectory.js';
import { perView, voteList, type KeepPolicy, type Learner, type VoteContext } from './policy.js';
import type { Vote } from '../basis/vote.js';

/** Below this decayed count a path counts as never seen (one sighting decays to 0.5 in one half-life). */
const UNSEEN_BELOW = 0.5;

type RarePathConfig = SamplingConfig['policies']['rarePath'];

/** What the policy saw for one session (exposed for tests and the docs' worked examples). */
export interface PathEstimate {
  /** The rarest path of the session. */
  key: string;
  /** Decayed sightings of that path before this session. */
  count: number;
  /** Decayed sightings of all paths of the tenant before this session. */
  total: number;
  /** Keep probability, 0 when the path is common. */
  probability: number;
}

/**
 * A session's paths are its turns' tool paths (scope `trace`, default) or its whole tool path (scope
 * `session`); its rarest path decides. Frequency comes from a per-tenant decaying count-min sketch.
 * A path never seen is always kept; a path whose share of all the tenant's paths is under `rareShare`
 * is kept with probability
 * min(1, keepPerPath / count), which rises as the count falls; common paths get no vote.
 * Sessions without tool calls are not paths: no vote and no learning.
 */
export class RarePathPolicy implements KeepPolicy, Learner {
  readonly name = 'rare_path';
  private readonly config: RarePathConfig;
  private readonly sketches: LRUCache<string, DecayingCountMin>;

  constructor(params: { config: RarePathConfig }) {
    this.config = params.config;
    this.sketches = new LRUCache({ max: params.config.maxTenants });
  }

  /** Keep probability for a path seen `count` times among `total` (pure; see the class comment). */
  probability(count: number, total: number): number {
    if (count < UNSEEN_BELOW) return 1;
    if (total > 0 && count / total >= this.config.rareShare) return 0;
    return Math.min(1, this.config.keepPerPath / count);
  }

  /** The path keys of a session under the configured scope (none for a session without tool calls); once per view. */
  readonly keysOf = perView((view) => this.pathKeys(view));

  private pathKeys(view: SessionView): string[] {
    if (this.config.scope === 'session') {
      const key = trajectoryKey(view.summary);
      return key === null ? [] : [key];
    }
    const keys: string[] = [];
    for (const p of turnPaths(view)) {
      const key = trajectoryKey(p);
      if (key !== null) keys.push(key);
    }
    return keys;
  }

  /**
   * Estimates the session's rarest path against what was seen before this session. Learns nothing (learn() does,
   * after every path was estimated: a path repeated in two turns does not count itself). Null without tool calls.
   */
  observe(view: SessionView, nowMs: number): PathEstimate | null {
    const keys = this.keysOf(view);
    if (keys.length === 0) return null;
    // A tenant not seen yet has no sketch: every path is unseen. peek: looking does not make the tenant recent.
    const sketch = this.sketches.peek(view.summary.tenantId);
    if (sketch === undefined) return { key: keys[0]!, count: 0, total: 0, probability: this.probability(0, 0) };
    // Reading moves the sketch clock to nowMs (decay is time passing, not learning); add() would move it there too.
    const total = sketch.total(nowMs);
    let rarest = { key: keys[0]!, count: Infinity };
    for (const key of keys) {
      const count = sketch.estimate(key, nowMs);
      if (count < rarest.count) rarest = { key, count };
    }
    return { key: rarest.key, count: rarest.count, total, probability: this.probability(rarest.count, total) };
  }

  /** A keep vote with the path's keep probability, or null (no tools, or a common path). Learns nothing. */
  vote(view: SessionView, nowMs: number): Vote | null {
    const est = this.observe(view, nowMs);
    if (est === null || est.probability <= 0) return null;
    return { reason: 'rare_path', policyClass: 'rare_path', probability: est.probability };
  }

  /** The vote as a list (the KeepPolicy form), at the decision's clock. */
  votes(view: SessionView, ctx: VoteContext): readonly Vote[] {
    return voteList(this.vote(view, ctx.nowMs));
  }

  /** Learns every path of a session decided at `nowMs`; a session without tool calls teaches nothing. */
  learn(view: SessionView, nowMs: number): void {
    const keys = this.keysOf(view);
    if (keys.length === 0) return;
    const sketch = this.sketchOf(view.summary.tenantId, nowMs);
    for (const key of keys) sketch.add(key, nowMs);
  }

  private sketchOf(tenantId: string, nowMs: number): DecayingCountMin {
    let sketch = this.sketches.get(tenantId);
    if (sketch === undefined) {
      sketch = new DecayingCountMin({
        width: this.config.sketchWidth,
        depth: this.config.sketchDepth,
        halfLifeMs: this.config.halfLifeMs,
        startMs: nowMs,
      });
      this.sketches.set(tenantId, sketch);
    }
    return sketch;
  }
}
