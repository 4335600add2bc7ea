/** Config of the detectors (sampling.policies.detectors): session patterns kept with their own reasons. See docs/sampling.md. */
import { z } from 'zod';

const runawayLimitsSchema = z
  .object({
    /** Model calls per session above which it is a runaway (null: no limit). */
    maxModelCalls: z.number().int().positive().nullable().optional(),
    /** Tool calls per session above which it is a runaway (null: no limit). */
    maxToolCalls: z.number().int().positive().nullable().optional(),
  })
  .strict();

/** A detector's block: `enabled` (default true) plus its own thresholds, strict, and filled with defaults when left out. */
function detector<const S extends z.ZodRawShape>(fields: S) {
  return z
    .object({ enabled: z.boolean().default(true), ...fields })
    .strict()
    .prefault({} as z.input<z.ZodObject<{ enabled: z.ZodDefault<z.ZodBoolean> } & S>>);
}

export const detectorsSchema = z
  .object({
    /** The same tool with the same arguments called again and again, or a short cycle of tools repeating, in one turn. */
    toolLoop: detector({
      /** Consecutive calls of one tool with equal arguments (hashed) that make a loop. */
      repeatCount: z.number().int().min(2).default(5),
      /** The same, for calls whose client sent no arguments (tool name only: weaker evidence, so more repeats). */
      nameOnlyRepeatCount: z.number().int().min(2).default(8),
      /** Repeats of a cycle of 2..maxCycleLength tools (A B A B …) that make a loop. */
      cycleRepeatCount: z.number().int().min(2).default(4),
      /** Longest cycle looked for, in tools. */
      maxCycleLength: z.number().int().min(2).max(3).default(3),
    }),
    /** Provider refusals (HTTP 429, 408, 5xx, rate-limit / overload / timeout errors) on model calls or their requests. */
    retryStorm: detector({
      /** Refusals in one session that make a storm (one retried 429 is ordinary life). */
      minRefusals: z.number().int().min(1).default(2),
    }),
    /** One tool call id (same tool, same arguments when known) executed more than once: a repeated side effect. */
    duplicateToolCall: detector({}),
    /** A tool call given up while still running: overlapping executions, or a tool ending after its caller. */
    budgetRace: detector({
      /** A tool may end this much after its parent before it counts as outliving it (clock resolution, export order). */
      toleranceMs: z.number().int().min(0).default(50),
    }),
    /** The session ends on a failed tool call with no model call after it, or a model call's request is left open. */
    stalled: detector({}),
    /** Too many model or tool calls in one session, or a context that keeps filling up. */
    runaway: detector({
      /** Model calls per session above which it is a runaway (null: no limit). */
      maxModelCalls: z.number().int().positive().nullable().default(100),
      /** Tool calls per session above which it is a runaway (null: no limit). */
      maxToolCalls: z.number().int().positive().nullable().default(200),
      /**
       * Per agent name overrides of the two limits. A session of several agents with overrides gets the largest
       * limit among them; a field left out falls back to the default above.
       */
      agents: z.record(z.string(), runawayLimitsSchema).default({}),
      /** A model call whose input tokens exceed this multiple of the session's first call's is a context filling up (null: off). */
      contextGrowthFactor: z.number().gt(1).nullable().default(20),
      /** … and only when that call's input is at least this many tokens (small contexts grow fast and harmlessly). */
      minGrowthInputTokens: z.number().int().min(0).default(50_000),
    }),
    /** A cached prefix that stops being read: consecutive calls of a model with cache read 0 after earlier reads. */
    cacheCollapse: detector({
      /** Consecutive calls of one provider + model with no cache read (and input ≥ the prefix) that make a collapse. */
      minMissedCalls: z.number().int().min(1).default(3),
    }),
    /** The prompt cache written on many calls of a model and never read (a cache key that changes every call). */
    cacheChurn: detector({
      /** Calls of one provider + model writing the cache, with none reading it, that make churn. */
      minWriteCalls: z.number().int().min(1).default(3),
    }),
  })
  .strict();
export type DetectorsConfig = z.infer<typeof detectorsSchema>;
