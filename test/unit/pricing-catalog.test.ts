import { describe, expect, it } from 'vitest';
import type { Usage } from '../../src/model/span.js';
import { parseCatalog } from '../../src/pricing/catalog-schema.js';
import { loadShippedCatalog, Pricer } from '../../src/pricing/pricer.js';
import shipped from '../../src/pricing/catalog.json' with { type: 'json' };

const MTOK_IN: Usage = { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const NOW_MS = Date.parse('2026-11-01T00:00:00Z');

describe('parseCatalog', () => {
  it('accepts the shipped catalog', () => {
    const r = parseCatalog(shipped);
    expect(r.status).toBe('ok');
    expect(loadShippedCatalog().version).toBe('2026-11-01');
  });
  it('rejects a negative price, naming the path', () => {
    const bad = structuredClone(shipped) as { models: { prices: { inputPerMTok: number }[] }[] };
    (bad.models[0]?.prices[0] as { inputPerMTok: number }).inputPerMTok = -1;
    const r = parseCatalog(bad);
    expect(r.status).toBe('failed');
    if (r.status === 'failed') {
      expect(r.error.code).toBe('AGT_ERR_CONFIG_INVALID');
      expect(r.error.message).toContain('models.0.prices.0.inputPerMTok');
    }
  });
  it('rejects a bad date, a duplicate model and unknown fields', () => {
    const base = { version: 'v', currency: 'USD', models: [{ provider: 'p', model: 'm', prices: [{ effectiveFrom: '2025-01-01', inputPerMTok: 1, outputPerMTok: 1 }] }] };
    expect(parseCatalog({ ...base, models: [{ ...base.models[0], prices: [{ effectiveFrom: '2025/01/01', inputPerMTok: 1, outputPerMTok: 1 }] }] }).status).toBe('failed');
    expect(parseCatalog({ ...base, models: [base.models[0], { ...base.models[0], model: 'M' }] }).status).toBe('failed');
    expect(parseCatalog({ ...base, extra: 1 }).status).toBe('failed');
    expect(parseCatalog(base).status).toBe('ok');
  });
});

describe('Pricer', () => {
  describe('priceUsage (shipped catalog)', () => {
    const p = new Pricer();
    const inputPrice = (model: string, atUnixMs = NOW_MS): number | null => p.priceUsage({ model, provider: null, usage: MTOK_IN, atUnixMs }).costUsd;
    const cases: [string, number][] = [
      ['gpt-4o', 2.5],
      ['gpt-4o-2024-08-06', 2.5],
      ['openai/gpt-4o', 2.5],
      ['gpt-4o-mini-2024-07-18', 0.15],
      ['gpt-4.1-mini-2025-04-14', 0.4],
      ['gpt-4.1', 2],
      ['o3-2025-04-16', 2],
      ['o4-mini', 1.1],
      ['gpt-5', 1.25],
      ['gpt-5-mini-2025-08-07', 0.25],
      ['claude-opus-4-1-20250805', 15],
      ['claude-opus-4-5-20251101', 5],
      ['claude-sonnet-4-5', 3],
      ['anthropic/claude-sonnet-4.5', 3],
      ['anthropic.claude-3-5-sonnet-20241022-v2:0', 3],
      ['us.anthropic.claude-sonnet-4-20250514-v1:0', 3],
      ['claude-3-7-sonnet-latest', 3],
      ['claude-haiku-4-5', 1],
      ['claude-3-5-haiku-20241022', 0.8],
      ['gemini-2.5-pro', 1.25],
      ['models/gemini-2.0-flash-001', 0.1],
      ['gemini-2.5-flash', 0.3],
      ['meta-llama/Llama-3.3-70B-Instruct', 0.88],
      ['meta.llama3-1-70b-instruct-v1:0', 0.88],
      ['mistral-large-latest', 2],
      ['deepseek-chat', 0.27],
      ['qwen-max', 1.6],
      ['gpt-5-pro', 15],
      ['o1-2024-12-17', 15],
      ['claude-opus-4-0', 15],
      ['claude-3-haiku-20240307', 0.25],
    ];
    it.each(cases)('prices %s', (model, usdPerMTok) => {
      expect(inputPrice(model)).toBeCloseTo(usdPerMTok, 12);
    });
    it('uses the older gpt-4o price before its cut', () => {
      expect(inputPrice('gpt-4o', Date.parse('2024-06-01T00:00:00Z'))).toBe(5);
    });
    it('leaves unknown models unpriced', () => {
      expect(inputPrice('totally-new-model')).toBeNull();
      // Variants priced differently from their family must not borrow its price.
      expect(inputPrice('gpt-4o-audio-preview')).toBeNull();
      expect(inputPrice('claude-opus-4-2')).toBeNull();
    });
    it('prices Anthropic cache writes and reads at their own rates', () => {
      const u: Usage = { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 500_000, cacheWriteTokens: 200_000, reasoningTokens: 0 };
      const c = p.priceUsage({ model: 'claude-sonnet-4-5', provider: 'anthropic', usage: u, atUnixMs: NOW_MS }).costUsd ?? NaN;
      expect(Math.abs(c - (0.3 * 3 + 0.5 * 0.3 + 0.2 * 3.75))).toBeLessThan(1e-12);
    });
  });
});
