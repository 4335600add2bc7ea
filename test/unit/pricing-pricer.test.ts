import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/conventions/normalize.js';
import type { Usage } from '../../src/model/span.js';
import type { PriceCatalog } from '../../src/pricing/catalog-schema.js';
import { costOf } from '../../src/pricing/cost.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { makeSpan } from '../fixtures/conventions/span.js';

const DAY_MS = 86_400_000;
const at = (iso: string): number => Date.parse(`${iso}T12:00:00Z`);
const usage = (u: Partial<Usage>): Usage => ({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...u });
const catalog: PriceCatalog = {
  version: 'test-1',
  currency: 'USD',
  models: [
    { provider: 'acme', model: 'acme-large', patterns: ['acme-large-*'], prices: [{ effectiveFrom: '2025-01-01', inputPerMTok: 4, outputPerMTok: 16 }, { effectiveFrom: '2025-06-01', inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5, cacheWritePerMTok: 2.5 }] },
    { provider: 'acme', model: 'acme-think', patterns: [], prices: [{ effectiveFrom: '2025-01-01', inputPerMTok: 1, outputPerMTok: 4, reasoningPerMTok: 6 }] },
    { provider: 'acme', model: 'acme-small', patterns: ['acme-s*'], prices: [{ effectiveFrom: '2025-01-01', inputPerMTok: 0.3, outputPerMTok: 1.2 }] },
  ],
};
const n = new Normalizer({});

describe('costOf', () => {
  it('prices uncached input, cache read, cache write and output separately', () => {
    const u = usage({ inputTokens: 1000, cacheReadTokens: 300, cacheWriteTokens: 200, outputTokens: 100 });
    const want = (500 * 2 + 300 * 0.5 + 200 * 2.5 + 100 * 8) / 1e6;
    expect(Math.abs(costOf(u, { inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5, cacheWritePerMTok: 2.5 }) - want)).toBeLessThan(1e-12);
  });
  it('falls back to the input price for missing cache prices', () => {
    const u = usage({ inputTokens: 1000, cacheReadTokens: 300, cacheWriteTokens: 200 });
    expect(Math.abs(costOf(u, { inputPerMTok: 3, outputPerMTok: 9 }) - 3000 / 1e6)).toBeLessThan(1e-12);
  });
  it('prices reasoning at its own price only when it differs from output', () => {
    const u = usage({ outputTokens: 1000, reasoningTokens: 400 });
    expect(Math.abs(costOf(u, { inputPerMTok: 1, outputPerMTok: 4, reasoningPerMTok: 6 }) - (600 * 4 + 400 * 6) / 1e6)).toBeLessThan(1e-12);
    expect(Math.abs(costOf(u, { inputPerMTok: 1, outputPerMTok: 4, reasoningPerMTok: 4 }) - 4000 / 1e6)).toBeLessThan(1e-12);
    expect(Math.abs(costOf(u, { inputPerMTok: 1, outputPerMTok: 4 }) - 4000 / 1e6)).toBeLessThan(1e-12);
  });
  it('never lets cache parts above the total make the cost negative', () => {
    expect(costOf(usage({ inputTokens: 10, cacheReadTokens: 50 }), { inputPerMTok: 1, outputPerMTok: 1, cacheReadPerMTok: 0.1 })).toBeCloseTo(5 / 1e6, 15);
  });
});

describe('Pricer', () => {
  const p = new Pricer({ catalog });

  describe('priceUsage', () => {
    it('applies the price effective on the day', () => {
      const u = usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
      expect(p.priceUsage({ model: 'acme-large', provider: null, usage: u, atUnixMs: at('2025-03-01') })).toEqual({ costUsd: 20, priceVersion: 'test-1' });
      expect(p.priceUsage({ model: 'acme-large', provider: null, usage: u, atUnixMs: at('2025-06-01') }).costUsd).toBe(10);
      expect(p.priceUsage({ model: 'acme-large', provider: null, usage: u, atUnixMs: at('2025-06-01') - DAY_MS }).costUsd).toBe(20);
    });
    it('answers repeated look-ups from its cache by UTC day and provider, never across a price change', () => {
      const u = usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
      const o = new Pricer({ catalog, overrides: [{ model: 'acme-large*', provider: 'corp', inputPerMTok: 7, outputPerMTok: 7, effectiveFrom: '2025-01-01' }] });
      const cost = (atUnixMs: number, provider: string | null = null): number | null => o.priceUsage({ model: 'acme-large', provider, usage: u, atUnixMs }).costUsd;
      const june1 = Date.parse('2025-06-01T00:00:00Z');
      for (let i = 0; i < 2; i++) {
        expect(cost(june1 - 1)).toBe(20);
        expect(cost(june1)).toBe(10);
        expect(cost(june1 + DAY_MS - 1)).toBe(10);
        expect(cost(june1 - 1, 'corp')).toBe(14);
        expect(cost(june1 - DAY_MS)).toBe(20);
      }
    });
    it('answers a look-up repeating the one before as a first look-up would, whatever changed in between', () => {
      const u = usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
      const fresh = (model: string, provider: string | null, atUnixMs: number) => new Pricer({ catalog }).priceUsage({ model, provider, usage: u, atUnixMs });
      const day = at('2025-07-01');
      const calls: [string, string | null, number][] = [
        ['acme-large', null, day],
        ['acme-large', null, day + 1000],
        ['acme-small', null, day],
        ['acme-small', null, day],
        ['acme-small', 'acme', day],
        ['acme-large', 'acme', day],
        ['acme-large', 'acme', at('2025-03-01')],
        ['acme-large', 'acme', at('2025-03-01')],
        ['unknown-model', null, day],
        ['unknown-model', null, day],
        ['acme-large', null, day],
      ];
      for (const [model, provider, atUnixMs] of calls) expect(p.priceUsage({ model, provider, usage: u, atUnixMs }), `${model} ${provider} ${atUnixMs}`).toEqual(fresh(model, provider, atUnixMs));
    });
    it('returns null before the first effective date', () => {
      expect(p.priceUsage({ model: 'acme-large', provider: null, usage: usage({ inputTokens: 1 }), atUnixMs: at('2024-12-31') }).costUsd).toBeNull();
    });
    it('matches prefixed, dated and patterned names', () => {
      const u = usage({ inputTokens: 1_000_000 });
      for (const model of ['ACME-Large', 'acme/acme-large', 'acme.acme-large', 'us.acme.acme-large-v1:0', 'acme-large-2025-08-06', 'acme-large-20250806', 'acme-large-turbo']) {
        expect(p.priceUsage({ model, provider: null, usage: u, atUnixMs: at('2025-07-01') }).costUsd, model).toBe(2);
      }
      expect(p.priceUsage({ model: 'acme-sprint', provider: null, usage: u, atUnixMs: at('2025-07-01') }).costUsd).toBeCloseTo(0.3, 12);
    });
    it('returns null for an unknown or absent model, never 0', () => {
      expect(p.priceUsage({ model: 'mystery-1', provider: null, usage: usage({ inputTokens: 5 }), atUnixMs: at('2025-07-01') })).toEqual({ costUsd: null, priceVersion: 'test-1' });
      expect(p.priceUsage({ model: null, provider: null, usage: usage({ inputTokens: 5 }), atUnixMs: at('2025-07-01') }).costUsd).toBeNull();
    });
    it('lets overrides win, by date and provider', () => {
      const o = new Pricer({
        catalog,
        overrides: [
          { model: 'acme-large*', inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: '2025-07-01' },
          { model: 'mystery-*', provider: 'corp', inputPerMTok: 7, outputPerMTok: 7, effectiveFrom: '1970-01-01' },
        ],
      });
      const u = usage({ inputTokens: 1_000_000 });
      expect(o.priceUsage({ model: 'acme-large', provider: null, usage: u, atUnixMs: at('2025-07-02') })).toEqual({ costUsd: 1, priceVersion: 'test-1+overrides' });
      expect(o.priceUsage({ model: 'acme-large', provider: null, usage: u, atUnixMs: at('2025-06-15') })).toEqual({ costUsd: 2, priceVersion: 'test-1' });
      expect(o.priceUsage({ model: 'mystery-9', provider: 'corp-gateway', usage: u, atUnixMs: at('2025-06-15') }).costUsd).toBe(7);
      expect(o.priceUsage({ model: 'mystery-9', provider: 'other', usage: u, atUnixMs: at('2025-06-15') }).costUsd).toBeNull();
    });
  });

  describe('price', () => {
    const start = BigInt(at('2025-07-01')) * 1_000_000n;
    it('prices a call span from the catalog, response model first', () => {
      const s = n.normalize(makeSpan({ startTimeUnixNano: start, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'unknown-alias', 'gen_ai.response.model': 'acme-think', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.reasoning.output_tokens': 200 } }), 't');
      const c = p.price(s);
      expect(c.source).toBe('catalog');
      expect(c.priceVersion).toBe('test-1');
      expect(Math.abs((c.costUsd ?? NaN) - (1000 * 1 + 300 * 4 + 200 * 6) / 1e6)).toBeLessThan(1e-12);
    });
    it('keeps a reported cost', () => {
      const s = n.normalize(makeSpan({ startTimeUnixNano: start, attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'acme-large', 'llm.token_count.prompt': 10, 'llm.token_count.completion': 1, 'llm.cost.total': 0.5 } }), 't');
      expect(p.price(s)).toEqual({ costUsd: 0.5, source: 'reported', priceVersion: '', catalogModel: 'acme-large' });
    });
    it('does not count a cost reported on an aggregate wrapper', () => {
      const s = n.normalize(makeSpan({ startTimeUnixNano: start, attributes: { 'openinference.span.kind': 'AGENT', 'llm.token_count.prompt': 10, 'llm.token_count.completion': 1, 'llm.cost.total': 0.5 } }), 't');
      expect(s.cost.source).toBe('reported');
      expect(p.price(s)).toEqual({ costUsd: null, source: 'none', priceVersion: '' });
    });
    it('does not price aggregates or spans without usage', () => {
      const agg = n.normalize(makeSpan({ startTimeUnixNano: start, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'acme-large', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 } }), 't');
      expect(p.price(agg)).toEqual({ costUsd: null, source: 'none', priceVersion: '' });
      const none = n.normalize(makeSpan({ startTimeUnixNano: start, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'acme-large' } }), 't');
      expect(p.price(none).source).toBe('none');
    });
    it('reports an unknown model as unknown with a null cost', () => {
      const s = n.normalize(makeSpan({ startTimeUnixNano: start, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'nope', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 } }), 't');
      expect(p.price(s)).toEqual({ costUsd: null, source: 'unknown', priceVersion: 'test-1', catalogModel: 'nope' });
    });
  });
});

describe('Pricer', () => {
  describe('price (metrics)', () => {
    it('counts spans by cost source', async () => {
      const { Registry } = await import('prom-client');
      const registry = new Registry();
      const pr = new Pricer({ catalog, registry });
      pr.price(n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'nope', 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.output_tokens': 1 } }), 't'));
      expect(await registry.metrics()).toContain('agenttail_pricing_spans_total{source="unknown"} 1');
    });
  });
});
