import { describe, expect, it } from 'vitest';
import { costOf, costUnitsOf, type TokenPrices } from '../../src/pricing/cost.js';
import { loadShippedCatalog } from '../../src/pricing/pricer.js';
import { mulberry32 } from '../../src/prng.js';
import { costUnits, decimalUnits, unitsCell } from '../../src/store/cell-format.js';
import type { Usage } from '../../src/model/span.js';

function randomUsage(rand: () => number): Usage {
  const input = Math.floor(rand() * 200_000);
  const cacheRead = Math.floor(rand() * input * 0.8);
  const cacheWrite = Math.floor(rand() * (input - cacheRead) * 0.5);
  const output = Math.floor(rand() * 20_000);
  return { inputTokens: input, outputTokens: output, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, reasoningTokens: Math.floor(rand() * output) };
}

const big = (u: Usage) => ({
  input: BigInt(u.inputTokens),
  output: BigInt(u.outputTokens),
  cacheRead: BigInt(u.cacheReadTokens),
  cacheWrite: BigInt(u.cacheWriteTokens),
  reasoning: BigInt(u.reasoningTokens),
});

describe('costUnitsOf (exact cost for reprice)', () => {
  const prices: TokenPrices[] = loadShippedCatalog().models.flatMap((m) => m.prices);

  it('agrees to the last 1e-12 with what ingest stores (costOf rounded by costUnits) for every catalog price', () => {
    const rand = mulberry32(11);
    for (const p of prices) {
      for (let i = 0; i < 50; i++) {
        const u = randomUsage(rand);
        expect(costUnitsOf(big(u), p)).toBe(costUnits(costOf(u, p)));
      }
    }
  });

  it('prices summed tokens to exactly the sum of the per-call costs (catalog prices need no rounding)', () => {
    const rand = mulberry32(12);
    for (const p of prices) {
      const calls = Array.from({ length: 40 }, () => randomUsage(rand));
      const perCall = calls.reduce((s, u) => s + costUnits(costOf(u, p)), 0n);
      const summed = calls.reduce(
        (t, u) => ({ input: t.input + BigInt(u.inputTokens), output: t.output + BigInt(u.outputTokens), cacheRead: t.cacheRead + BigInt(u.cacheReadTokens), cacheWrite: t.cacheWrite + BigInt(u.cacheWriteTokens), reasoning: t.reasoning + BigInt(u.reasoningTokens) }),
        { input: 0n, output: 0n, cacheRead: 0n, cacheWrite: 0n, reasoning: 0n },
      );
      expect(costUnitsOf(summed, p)).toBe(perCall);
    }
  });

  it('follows the documented rule: cache prices fall back to input, reasoning priced apart only when it differs', () => {
    const t = { input: 1_000_000n, output: 1_000_000n, cacheRead: 400_000n, cacheWrite: 100_000n, reasoning: 250_000n };
    // (1e6 − 4e5 − 1e5)×2 + 4e5×2 + 1e5×2 + 1e6×8 per 1M → $10
    expect(unitsCell(costUnitsOf(t, { inputPerMTok: 2, outputPerMTok: 8 }))).toBe('10.000000000000');
    // cache read at 0.5, cache write at 2.5, reasoning at 12: 1 + 0.2 + 0.25 + 0.75×8 + 0.25×12 = 10.45
    expect(unitsCell(costUnitsOf(t, { inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5, cacheWritePerMTok: 2.5, reasoningPerMTok: 12 }))).toBe('10.450000000000');
    // A price finer than 1e-12 per token is rounded once, half up: 1 token at 0.0000015 $/MTok = 1.5e-12 → 2e-12.
    expect(costUnitsOf({ input: 1n, output: 0n, cacheRead: 0n, cacheWrite: 0n, reasoning: 0n }, { inputPerMTok: 0.0000015, outputPerMTok: 0 })).toBe(2n);
    // Parts above the total: the uncached remainder is floored at 0, as in costOf.
    expect(costUnitsOf({ input: 10n, output: 0n, cacheRead: 20n, cacheWrite: 0n, reasoning: 0n }, { inputPerMTok: 1, outputPerMTok: 1 })).toBe(costUnits(costOf({ inputTokens: 10, outputTokens: 0, cacheReadTokens: 20, cacheWriteTokens: 0, reasoningTokens: 0 }, { inputPerMTok: 1, outputPerMTok: 1 })));
  });
});

describe('decimalUnits', () => {
  it('reads ClickHouse decimal text (trailing zeros trimmed, negative, integer) exactly and refuses the rest', () => {
    expect(decimalUnits('1.5')).toBe(1_500_000_000_000n);
    expect(decimalUnits('-0.000000000001')).toBe(-1n);
    expect(decimalUnits('42')).toBe(42_000_000_000_000n);
    expect(decimalUnits('123456789012345678.123456789012')).toBe(123456789012345678123456789012n);
    expect(decimalUnits('1e-3')).toBeNull();
    expect(decimalUnits('0.0000000000001')).toBeNull();
    expect(decimalUnits('')).toBeNull();
  });
});
