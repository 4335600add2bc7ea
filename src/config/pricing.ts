/** Config section: price catalog overrides and convention precedence (src/pricing/, src/conventions/). */
import { z } from 'zod';

export const priceOverrideSchema = z.strictObject({
  /** Exact model name, or a pattern with `*` wildcards (matched case-insensitively). */
  model: z.string().min(1),
  provider: z.string().optional(),
  /** USD per 1M tokens, by token type. Missing cache/reasoning prices fall back as documented in README. */
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cacheReadPerMTok: z.number().nonnegative().optional(),
  cacheWritePerMTok: z.number().nonnegative().optional(),
  reasoningPerMTok: z.number().nonnegative().optional(),
  /** ISO date from which this price applies. */
  effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).default('1970-01-01'),
});

export const pricingSchema = z.strictObject({
  /** Extra or replacement prices; they win over the shipped catalog. */
  overrides: z.array(priceOverrideSchema).default([]),
});
export type PricingConfig = z.infer<typeof pricingSchema>;

export const conventionsSchema = z.strictObject({
  /**
   * Session-id aliases in order of precedence when several are present on one span with different values.
   * Names from the alias table (src/conventions/aliases.ts) or custom attribute names; aliases not listed
   * keep their default order after these. Default: SESSION_ALIASES (explicit app session ids first).
   */
  sessionPrecedence: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Host → region for endpoints whose host does not name the region (Azure OpenAI `<resource>.openai.azure.com`,
   * a private gateway): exact hosts or `*.suffix`. Consulted after an explicit region attribute, before the host
   * table (src/conventions/region-table.ts). Default: none.
   */
  endpointRegions: z.record(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'a host name or *.suffix'), z.string().regex(/^[A-Za-z0-9_.-]+$/).max(64)).default({}),
});
export type ConventionsConfig = z.infer<typeof conventionsSchema>;
