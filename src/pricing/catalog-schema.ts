/** zod schema of src/pricing/catalog.json, checked when a catalog is loaded. */
import { z } from 'zod';
import { AgtError } from '../model/errors.js';
import { failed, ok } from '../model/outcome.js';
import type { Outcome } from '../model/outcome.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

/** One effective-dated price, USD per 1M tokens. Missing cache prices fall back to the input price. */
export const priceSchema = z
  .object({
    effectiveFrom: isoDate,
    inputPerMTok: z.number().nonnegative(),
    outputPerMTok: z.number().nonnegative(),
    cacheReadPerMTok: z.number().nonnegative().optional(),
    cacheWritePerMTok: z.number().nonnegative().optional(),
    reasoningPerMTok: z.number().nonnegative().optional(),
  })
  .strict();

/** A model: its canonical name, `*` patterns for variants, and its prices over time. */
export const modelPriceSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    patterns: z.array(z.string().min(1)).default([]),
    prices: z.array(priceSchema).min(1),
  })
  .strict()
  .refine((m) => new Set(m.prices.map((p) => p.effectiveFrom)).size === m.prices.length, { message: 'duplicate effectiveFrom', path: ['prices'] });

/** The whole catalog. */
export const catalogSchema = z
  .object({
    version: z.string().min(1),
    currency: z.literal('USD'),
    note: z.string().optional(),
    models: z.array(modelPriceSchema).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.models.forEach((m, i) => {
      const key = m.model.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['models', i, 'model'], message: `duplicate model ${m.model}` });
      seen.add(key);
    });
  });

export type PriceCatalog = z.infer<typeof catalogSchema>;
export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type Price = z.infer<typeof priceSchema>;

/** Validates a parsed catalog.json; a failure names the path and what is wrong. */
export function parseCatalog(raw: unknown): Outcome<PriceCatalog> {
  const r = catalogSchema.safeParse(raw);
  if (r.success) return ok(r.data);
  const issue = r.error.issues[0];
  const where = issue === undefined ? '' : issue.path.join('.');
  return failed(new AgtError('AGT_ERR_CONFIG_INVALID', `price catalog invalid at ${where || '(root)'}: ${issue?.message ?? 'unknown'}`, { cause: r.error }));
}
