/**
 * Per-tenant budgets on kept sessions per minute. Demand is counted per one-minute window by each
 * session's highest-priority keep class; the cap is handed out in priority order (classes in `neverThin`
 * take what they need first and are never thinned), and each remaining class is kept with probability
 * allocation / demand. Demand is estimated as the larger of the previous window's and the current
 * window's count so far, so a steady load is thinned from the first session of a window and a burst is
 * thinned as it grows; once a window's kept count reaches the cap, every thinnable class drops to
 * `minProbability`. Probabilities never go below `minProbability`, which bounds weights.
 */
import { LRUCache } from 'lru-cache';
import type { PolicyClass, SamplingConfig } from '../config/sampling.js';
import { POLICY_CLASSES } from '../config/sampling.js';

const WINDOW_MS = 60_000;

type BudgetConfig = SamplingConfig['budget'];

interface Window {
  index: number;
  demand: Map<PolicyClass, number>;
  previous: Map<PolicyClass, number>;
  kept: number;
}

/** Keep probability per policy class for one session (1 for classes not thinned). */
export type ClassProbabilities = (policyClass: PolicyClass) => number;

/** Tracks per-tenant demand and kept counts and turns them into thinning probabilities. */
export class Budget {
  private readonly config: BudgetConfig;
  private readonly order: PolicyClass[];
  private readonly protectedClasses: ReadonlySet<PolicyClass>;
  private readonly windows: LRUCache<string, Window>;

  constructor(params: { config: BudgetConfig }) {
    this.config = params.config;
    // Classes left out of `priority` come last, in their default order.
    this.order = [...params.config.priority, ...POLICY_CLASSES.filter((c) => !params.config.priority.includes(c))];
    this.protectedClasses = new Set(params.config.neverThin);
    this.windows = new LRUCache({ max: params.config.maxTenants });
  }

  /** Rank of a class: lower is more important. */
  rank(policyClass: PolicyClass): number {
    return this.order.indexOf(policyClass);
  }

  /** The most important of the given classes, or null for none. */
  topClass(classes: Iterable<PolicyClass>): PolicyClass | null {
    let best: PolicyClass | null = null;
    for (const c of classes) if (best === null || this.rank(c) < this.rank(best)) best = c;
    return best;
  }

  /** The cap for a tenant, per minute. */
  capOf(tenantId: string): number {
    return this.config.tenants[tenantId] ?? this.config.keptPerMinute;
  }

  /**
   * Counts one session wanting to be kept under `topClass` (null: nothing voted, nothing counted) and
   * returns the keep probability of each class for it.
   */
  admit(tenantId: string, topClass: PolicyClass | null, nowMs: number): ClassProbabilities {
    if (!this.config.enabled || topClass === null) return () => 1;
    const w = this.windowOf(tenantId, nowMs);
    w.demand.set(topClass, (w.demand.get(topClass) ?? 0) + 1);

    const cap = this.capOf(tenantId);
    const estimate = (c: PolicyClass): number => Math.max(w.previous.get(c) ?? 0, w.demand.get(c) ?? 0);
    let remaining = cap;
    for (const c of this.protectedClasses) remaining -= estimate(c);
    remaining = Math.max(0, remaining);

    const q = new Map<PolicyClass, number>();
    const full = w.kept >= cap;
    for (const c of this.order) {
      if (this.protectedClasses.has(c)) continue;
      const d = estimate(c);
      const alloc = Math.min(d, remaining);
      remaining -= alloc;
      const p = full ? 0 : d > 0 ? alloc / d : 1;
      q.set(c, Math.min(1, Math.max(this.config.minProbability, p)));
    }
    return (c) => q.get(c) ?? 1;
  }

  /** Counts one kept session against the tenant's current window. */
  recordKept(tenantId: string, nowMs: number): void {
    if (!this.config.enabled) return;
    this.windowOf(tenantId, nowMs).kept += 1;
  }

  private windowOf(tenantId: string, nowMs: number): Window {
    const index = Math.floor(nowMs / WINDOW_MS);
    let w = this.windows.get(tenantId);
    if (w === undefined) {
      w = { index, demand: new Map(), previous: new Map(), kept: 0 };
      this.windows.set(tenantId, w);
    } else if (index > w.index) {
      // Only the window just before counts as recent demand; after a quiet gap there is none.
      w.previous = index === w.index + 1 ? w.demand : new Map();
      w.demand = new Map();
      w.kept = 0;
      w.index = index;
    }
    return w;
  }
}
