/** The cost formula: one place, so catalog prices, overrides and reprice agree to the last digit. */
import type { Usage } from '../conventions/types.js';

/** Prices in USD per 1M tokens; optional ones fall back as documented in src/pricing/README.md. */
export interface TokenPrices {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheReadPerMTok?: number | undefined;
  cacheWritePerMTok?: number | undefined;
  reasoningPerMTok?: number | undefined;
}

const PER_MTOK = 1_000_000;

/**
 * (input − cacheRead − cacheWrite)×in + cacheRead×cacheRead + cacheWrite×cacheWrite + output×out, where
 * reasoning (part of output) is priced at its own price only when the entry gives one different from
 * output. Missing cache prices fall back to the input price. Inconsistent usage (parts above totals) is
 * already recorded on the span; here the uncached remainder is floored at 0 so it never lowers the cost.
 */
export function costOf(u: Usage, p: TokenPrices): number {
  const uncachedInput = Math.max(0, u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens);
  const cacheRead = p.cacheReadPerMTok ?? p.inputPerMTok;
  const cacheWrite = p.cacheWritePerMTok ?? p.inputPerMTok;
  let outputPart = u.outputTokens * p.outputPerMTok;
  if (p.reasoningPerMTok !== undefined && p.reasoningPerMTok !== p.outputPerMTok) {
    const reasoning = Math.min(u.reasoningTokens, u.outputTokens);
    outputPart = (u.outputTokens - reasoning) * p.outputPerMTok + reasoning * p.reasoningPerMTok;
  }
  const micro = uncachedInput * p.inputPerMTok + u.cacheReadTokens * cacheRead + u.cacheWriteTokens * cacheWrite + outputPart;
  return micro / PER_MTOK;
}
