/** Config section: sampling policies, budgets and the decision cache (src/sampling/). See docs/sampling.md. */
import { z } from 'zod';
import { detectorsSchema } from './detectors.js';

/** Policy classes, in the order the budget protects them (first = thinned last). */
export const POLICY_CLASSES = ['error', 'residency', 'low_eval', 'detector', 'rule', 'cost_outlier', 'latency', 'rare_path', 'baseline'] as const;
export type PolicyClass = (typeof POLICY_CLASSES)[number];
const policyClassSchema = z.enum(POLICY_CLASSES);

const regexSource = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a valid regular expression' },
);

/** One condition of an attribute rule. Exactly the operators given must all hold. */
export const ruleConditionSchema = z
  .strictObject({
    /**
     * Where the key is looked up: `attribute` (span attributes), `resource` (resource attributes),
     * `span` (name, serviceName, scopeName, kind, statusCode, operation, provider, model, agentName, toolName),
     * `summary` (the session summary: serviceNames, agentNames, models, providers, userId, spanCount,
     * errorCount, costUsd, tokens, durationMs, toolPath, unpricedCalls, minEvalScore, bytes, explicitSession).
     */
    source: z.enum(['attribute', 'resource', 'span', 'summary']).default('attribute'),
    /** Attribute key or field name. */
    key: z.string().min(1),
    /** The value equals this (string, number or boolean). */
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    /** The value is one of these. */
    in: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** The value (as a string) matches this regular expression. */
    regex: regexSource.optional(),
    /** Numeric bounds on the value. */
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    /** true: the key is present (non-null); false: absent. */
    exists: z.boolean().optional(),
  });
export type RuleCondition = z.infer<typeof ruleConditionSchema>;

/** A keep or drop rule over attribute conditions. */
export const ruleSchema = z
  .strictObject({
    /** Appears in reasons as `rule:<name>` (keep) or `drop:<name>` (drop). */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    action: z.enum(['keep', 'drop']).default('keep'),
    /** Span/resource conditions must hold on `any` one span (default) or on `all` spans. */
    match: z.enum(['any', 'all']).default('any'),
    /** Switch the rule off without deleting it. */
    enabled: z.boolean().default(true),
    /** All conditions must hold. Summary conditions are checked once per session. */
    conditions: z.array(ruleConditionSchema).min(1),
  });
export type SamplingRule = z.infer<typeof ruleSchema>;

export const samplingSchema = z
  .strictObject({
    /** Share of ordinary sessions kept by the deterministic baseline (0..1). */
    baselineRate: z.number().min(0).max(1).default(0.05),
    decisionCache: z
      .strictObject({
        /** How long a decision outlives its session in the buffer. */
        ttlMs: z.number().int().positive().default(30 * 60_000), // 30 min
        maxEntries: z.number().int().positive().default(1_000_000),
        /**
         * Heap the cache may hold, estimated per entry (src/sampling/entry-bytes.ts, ~1.4 KB per decided session
         * with two traces): decided sessions up to 5/8 of it, trace links up to 3/8; past it the least recently
         * used are evicted as if expired (their late spans open the session again, counted once). 128 MiB holds
         * ~90 000 decided sessions: the whole TTL up to ~50 sessions/s, ~15 min of it at 100/s.
         */
        maxBytes: z.number().int().min(64 * 1024).default(128 * 1024 * 1024), // 128 MiB
      })
      .prefault({}),
    policies: z
      .strictObject({
        /** Keep every session with an error span (status error, error.type, exception event, failed tool). */
        error: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        /** Keep sessions whose tool trajectory is rare in a per-tenant time-decaying count-min sketch. */
        rarePath: z
          .strictObject({
            enabled: z.boolean().default(true),
            /**
             * `trace`: each turn (trace) of a session is a path and the session counts as rare when its rarest
             * turn is, so multi-turn sessions of common turns stay common. `session`: the session's whole tool
             * path (all turns in order) is one path.
             */
            scope: z.enum(['trace', 'session']).default('trace'),
            /** Counts halve every this long. */
            halfLifeMs: z.number().int().positive().default(60 * 60_000), // 1 h
            /** A path whose share of the tenant's (decayed) tool sessions is at or above this is common. */
            rareShare: z.number().gt(0).max(1).default(0.01),
            /** Below rareShare, keep probability is min(1, keepPerPath / count): ~this many per path per half-life. */
            keepPerPath: z.number().positive().default(3),
            /** Count-min sketch columns and rows (memory per tenant = width * depth * 8 bytes). */
            sketchWidth: z.number().int().min(16).max(1 << 20).default(2048),
            sketchDepth: z.number().int().min(1).max(16).default(4),
            /** Tenants whose sketches are held (least recently used are forgotten). */
            maxTenants: z.number().int().positive().default(1_000),
          })
          .prefault({}),
        /** Keep sessions whose cost or tokens exceed a streaming quantile per tenant + agent, or a ceiling. */
        costOutlier: z
          .strictObject({
            enabled: z.boolean().default(true),
            /**
             * `fence` (default): Tukey's fence on log values, q75 · (q75 / q25)^fenceK, at least minRatio × median —
             * robust to the outliers it looks for (docs/sampling.md). `quantile`: above the `quantile` of the stream
             * (outliers included, so a share of outliers above 1 − quantile hides itself).
             */
            threshold: z.enum(['fence', 'quantile']).default('fence'),
            /** Fence width k in units of the log interquartile range (2: 3.4 σ above the log median). */
            fenceK: z.number().positive().default(2),
            /** The fence is never below this multiple of the median (a flat history flags only real jumps). */
            minRatio: z.number().min(1).default(3),
            /** The quantile of `threshold: quantile`. */
            quantile: z.number().gt(0).lt(1).default(0.995),
            /** Sessions seen per tenant + agent before the threshold is trusted (quartiles settle sooner than p99.5). */
            warmupCount: z.number().int().min(1).default(50),
            /** Absolute ceiling on session cost, USD (null: none). */
            maxCostUsd: z.number().positive().nullable().default(5),
            /** Absolute ceiling on session tokens, input + output (null: none). */
            maxTokens: z.number().int().positive().nullable().default(2_000_000),
            /** Tenant + agent sketches held (least recently used are forgotten). */
            maxKeys: z.number().int().positive().default(10_000),
          })
          .prefault({}),
        /** Keep sessions with an eval score under its threshold or a failing label. */
        lowEval: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** Threshold for eval names not listed in `thresholds`: score < this is low. */
            defaultThreshold: z.number().default(0.5),
            /** Per eval name thresholds (e.g. { faithfulness: 0.7, rating_1_to_5: 3 }). */
            thresholds: z.record(z.string(), z.number()).default({}),
            /** Labels that fail, compared case-insensitively. */
            failingLabels: z
              .array(z.string())
              .default(['fail', 'failed', 'incorrect', 'hallucinated', 'toxic', 'unsafe', 'irrelevant']),
          })
          .prefault({}),
        /** Keep sessions whose duration exceeds a streaming quantile per tenant + agent, or a ceiling. */
        latency: z
          .strictObject({
            enabled: z.boolean().default(true),
            quantile: z.number().gt(0).lt(1).default(0.995),
            warmupCount: z.number().int().min(1).default(100),
            /** Absolute ceiling on session duration (null: none). */
            maxDurationMs: z.number().int().positive().nullable().default(30 * 60_000), // 30 min
            maxKeys: z.number().int().positive().default(10_000),
          })
          .prefault({}),
        /** Session patterns (tool loops, retry storms, cache collapse, ...), each a keep policy with its own reason (src/config/detectors.ts). */
        detectors: detectorsSchema.prefault({}),
        /** The deterministic baseline at `baselineRate` (switch off to keep only interesting sessions). */
        baseline: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
      })
      .prefault({}),
    /** Attribute keep/drop rules; drop rules run before every keep policy. */
    rules: z.array(ruleSchema).default([]),
    /** Per-tenant cap on kept sessions per minute; lower-priority keeps are thinned with raised weights. */
    budget: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Kept sessions per tenant per minute (on average). */
        keptPerMinute: z.number().int().positive().default(6_000),
        /** Per-tenant overrides of keptPerMinute. */
        tenants: z.record(z.string(), z.number().int().positive()).default({}),
        /** Priority order of policy classes; later classes are thinned first. */
        priority: z.array(policyClassSchema).default([...POLICY_CLASSES]),
        /** Classes never thinned, whatever the budget. */
        neverThin: z.array(policyClassSchema).default(['error', 'residency', 'low_eval']),
        /** Thinning never goes below this keep probability (bounds weights at 1 / this). */
        minProbability: z.number().gt(0).max(1).default(0.001),
        /** Tenants whose budget windows are held. */
        maxTenants: z.number().int().positive().default(10_000),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.rules.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name '${r.name}'` });
      names.add(r.name);
    });
    const seen = new Set<string>();
    cfg.budget.priority.forEach((c, i) => {
      if (seen.has(c)) ctx.addIssue({ code: 'custom', path: ['budget', 'priority', i], message: `duplicate class '${c}'` });
      seen.add(c);
    });
  });
export type SamplingConfig = z.infer<typeof samplingSchema>;
/** What a user writes for this section: every field optional. */
export type SamplingConfigInput = z.input<typeof samplingSchema>;
