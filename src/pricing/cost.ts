/** The cost formula: one place, so catalog prices, overrides and reprice agree to the last digit. */
import type { Usage } from '../model/span.js';

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

/** Token counts as exact integers (sums over many calls can pass 2^53). */
export interface TokenCounts {
  input: bigint;
  output: bigint;
  cacheRead: bigint;
  cacheWrite: bigint;
  reasoning: bigint;
}

/** 1e-18 USD per token ("atto") for a price per 1M tokens: exact for prices with up to 12 decimals. */
function attoPerToken(perMTok: number): bigint {
  const [int = '0', frac = ''] = perMTok.toFixed(12).split('.');
  return BigInt(int) * 10n ** 12n + BigInt(frac.padEnd(12, '0'));
}

const ATTO_PER_UNIT = 1_000_000n; // 1e-12 USD (what Decimal(38, 12) stores) in 1e-18 USD

/**
 * `costOf` in exact integer arithmetic: the cost in units of 1e-12 USD. With catalog prices of up to 6
 * decimals per 1M tokens (all of catalog.json) no rounding happens at all, so the cost of summed tokens
 * equals the sum of the per-call costs that ingest stored; finer prices are rounded once, half up.
 * Used by `reprice`, where float sums over a whole rollup row would drift.
 */
export function costUnitsOf(t: TokenCounts, p: TokenPrices): bigint {
  const zero = 0n;
  const parts = t.input - t.cacheRead - t.cacheWrite;
  const uncachedInput = parts > zero ? parts : zero;
  const input = attoPerToken(p.inputPerMTok);
  const output = attoPerToken(p.outputPerMTok);
  let outputPart = t.output * output;
  if (p.reasoningPerMTok !== undefined && p.reasoningPerMTok !== p.outputPerMTok) {
    const reasoning = t.reasoning < t.output ? t.reasoning : t.output;
    outputPart = (t.output - reasoning) * output + reasoning * attoPerToken(p.reasoningPerMTok);
  }
  const atto =
    uncachedInput * input +
    t.cacheRead * attoPerToken(p.cacheReadPerMTok ?? p.inputPerMTok) +
    t.cacheWrite * attoPerToken(p.cacheWritePerMTok ?? p.inputPerMTok) +
    outputPart;
  return (atto + ATTO_PER_UNIT / 2n) / ATTO_PER_UNIT;
}

/**
 * Prompts shorter than this are never cached: OpenAI caches prompts of 1,024 tokens or more, Anthropic's smallest
 * cacheable prompt is 1,024 tokens (2,048 or 4,096 for some models), Gemini's implicit cache starts at 1,024 or more.
 * The smallest of these keeps the overstatement bound an upper bound for every provider.
 */
export const MIN_CACHEABLE_INPUT_TOKENS = 1024;

/**
 * Input tokens of a call that did not report its cache-read part and that could have been read from cache: its
 * input less the cache writes it reported, when the prompt is long enough to be cached at all; else 0.
 */
export function cacheUnreportedTokens(u: { inputTokens: number; cacheWriteTokens: number }): number {
  if (u.inputTokens < MIN_CACHEABLE_INPUT_TOKENS) return 0;
  return Math.max(0, u.inputTokens - u.cacheWriteTokens);
}

/**
 * The most that pricing `tokens` as uncached input overstates their cost, in exact 1e-12 USD units: the cheapest
 * plausible case is every one of them read from cache, so the bound is tokens × (input − cache-read price). 0 when
 * the price has no cache-read price below the input price (nothing cached would have been cheaper).
 */
export function overstatedUnitsOf(tokens: bigint, p: TokenPrices): bigint {
  if (p.cacheReadPerMTok === undefined || p.cacheReadPerMTok >= p.inputPerMTok) return 0n;
  const atto = tokens * (attoPerToken(p.inputPerMTok) - attoPerToken(p.cacheReadPerMTok));
  return (atto + ATTO_PER_UNIT / 2n) / ATTO_PER_UNIT;
}
