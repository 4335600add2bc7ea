// Unit tests of the finance rows (issue 19): canonical models and model sessions in the rollup, the usageIncomplete
// flag and its overstatement bound, the default period, the session-list cursor, the cluster rewrite of a key change.
import { describe, expect, it } from 'vitest';
import { costPeriod } from '../../src/api/costs-route.js';
import { sessionsMeaning, usageIncompleteSummary, type CostRow } from '../../src/store/read/costs.js';
import { monthSoFarUtc } from '../../src/api/read-time.js';
import { decodeCursor, encodeCursor, nextLink } from '../../src/api/session-cursor.js';
import type { NormalizedSpan, Usage } from '../../src/model/span.js';
import { usageIncompleteOf } from '../../src/conventions/usage.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import { costOf, overstatedUnitsOf } from '../../src/pricing/cost.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { extendSummary, emptySummary } from '../../src/sessions/summary.js';
import type { SessionWrite } from '../../src/model/session.js';
import { toClusterStatements } from '../../src/store/cluster-ddl.js';
import { UsageRollup } from '../../src/store/usage-rollup.js';
import { callSpan, randomSession, seeded } from '../integration/store-fixtures.js';
import { makeSpan } from '../fixtures/conventions/span.js';

const BASE = 1_763_800_000_000_000_000n;
const USAGE: Usage = { inputTokens: 1500, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const pricer = new Pricer();
const normalizer = new Normalizer();

/** A call span priced by the shipped catalog, with the given reported model names. */
function pricedCall(p: { response: string; startNs: bigint; missing?: boolean }): NormalizedSpan {
  const span = callSpan({ tenantId: 't', traceId: 'a'.repeat(32), parentSpanId: '', startNs: p.startNs, usage: USAGE, costUsd: null, rand: seeded(1) });
  span.genai = { ...span.genai, requestModel: 'gpt-4o-mini', responseModel: p.response };
  span.usageMissing = p.missing === true ? ['cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens'] : [];
  span.cost = pricer.price(span);
  return span;
}

function write(spans: NormalizedSpan[], version: number, extra: Partial<SessionWrite> = {}): SessionWrite {
  const s = randomSession({ tenantId: 't', rand: seeded(2), kept: false, baseNs: BASE });
  const summary = extendSummary(emptySummary({ tenantId: 't', sessionId: 's', explicitSession: true, firstSeenMs: 0 }), spans, []);
  return { ...s.write, summary, spans, version, ...extra };
}

describe('UsageRollup (finance rows)', () => {
  describe('add', () => {
    it('puts dated and plain names of one model in one canonical model, keeping the reported name as RawModel', () => {
      const r = new UsageRollup();
      r.add(write([pricedCall({ response: 'gpt-4o-mini-2024-07-18', startNs: BASE }), pricedCall({ response: 'gpt-4o-mini', startNs: BASE + 1n })], 1));
      const rows = r.rows();
      expect(rows.map((x) => [x.Model, x.RawModel])).toEqual([
        ['gpt-4o-mini', 'gpt-4o-mini'],
        ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
      ]);
      // One session, one model: counted once in Sessions and once in ModelSessions, in the row of its first call.
      expect(rows.find((x) => x.RawModel === 'gpt-4o-mini-2024-07-18')).toMatchObject({ Sessions: 1, ModelSessions: 1 });
      expect(rows.find((x) => x.RawModel === 'gpt-4o-mini')).toMatchObject({ Sessions: 0, ModelSessions: 0 });
    });

    it('counts a session under every model it called, and a late write only under models new to the session', () => {
      const r = new UsageRollup();
      const first = [pricedCall({ response: 'gpt-4o-mini', startNs: BASE }), pricedCall({ response: 'gpt-4o', startNs: BASE + 1n })];
      r.add(write(first, 1));
      // A late write calls gpt-4o again and o3-mini for the first time (decided-update says which are new).
      const late = [pricedCall({ response: 'gpt-4o-2024-08-06', startNs: BASE + 2n }), pricedCall({ response: 'o3-mini', startNs: BASE + 3n })];
      r.add(write(late, 2, { newCallModels: ['o3-mini'] }));
      const byModel = new Map<string, number>();
      for (const x of r.rows()) byModel.set(String(x.Model), (byModel.get(String(x.Model)) ?? 0) + Number(x.ModelSessions));
      expect(Object.fromEntries(byModel)).toEqual({ 'gpt-4o-mini': 1, 'gpt-4o': 1, 'o3-mini': 1 });
      expect(r.rows().reduce((a, x) => a + Number(x.Sessions), 0)).toBe(1);
    });

    it('counts incomplete calls with their cacheable tokens and the exact overstatement bound', () => {
      const r = new UsageRollup();
      r.add(write([pricedCall({ response: 'gpt-4o-mini', startNs: BASE, missing: true }), pricedCall({ response: 'gpt-4o-mini', startNs: BASE + 1n })], 1));
      expect(r.rows()).toEqual([expect.objectContaining({ UsageIncompleteCalls: 1, CacheUnreportedInputTokens: 1500, CostOverstatedUpToUsd: '0.000112500000' })]);
    });
  });
});

describe('Pricer.price (usageIncomplete)', () => {
  const at = BigInt(Date.UTC(2026, 10, 15)) * 1_000_000n;
  const span = (attrs: Record<string, string | number>) =>
    normalizer.normalize(makeSpan({ startTimeUnixNano: at, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 1500, 'gen_ai.usage.output_tokens': 100, ...attrs } }), 't');

  it('flags a call without its cache-read part on a model with a cache price, with the bound from catalog prices', () => {
    const c = pricer.price(span({ 'gen_ai.request.model': 'gpt-4o-mini' }));
    expect(c).toMatchObject({ source: 'catalog', catalogModel: 'gpt-4o-mini', usageIncomplete: 'cache_read', cacheUnreportedInputTokens: 1500 });
    // gpt-4o-mini: input 0.15, cache read 0.075 USD per 1M: 1,500 × 0.075 µ$.
    expect(c.overstatedUpToUsd).toBe(0.0001125);
  });

  it('names both parts for a model that prices cache writes too, and does not flag a complete call', () => {
    expect(pricer.price(span({ 'gen_ai.request.model': 'claude-sonnet-4-5-20250929' })).usageIncomplete).toBe('cache_read+cache_write');
    const complete = pricer.price(span({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.cache_read.input_tokens': 0, 'gen_ai.usage.cache_creation.input_tokens': 0 }));
    expect(complete.usageIncomplete).toBeUndefined();
    expect(complete.catalogModel).toBe('gpt-4o-mini');
  });

  it('does not flag a model without cache prices, nor a cost the client reported', () => {
    expect(pricer.price(span({ 'gen_ai.request.model': 'gpt-3.5-turbo' })).usageIncomplete).toBeUndefined();
    expect(pricer.price(span({ 'gen_ai.request.model': 'gpt-4o-mini', 'llm.cost.total': 0.01 })).usageIncomplete).toBeUndefined();
  });

  it('bounds a prompt too short to be cached at 0 while still flagging it', () => {
    const c = pricer.price(span({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1023 }));
    expect(c).toMatchObject({ usageIncomplete: 'cache_read', overstatedUpToUsd: 0, cacheUnreportedInputTokens: 0 });
  });

  it('keeps the bound above the true overstatement of the issue case (1,024 of 1,500 prompt tokens cached)', () => {
    const prices = { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 };
    const priced = costOf(USAGE, prices);
    const billed = costOf({ ...USAGE, cacheReadTokens: 1024 }, prices);
    expect(priced / billed - 1).toBeGreaterThan(0.35);
    expect(Number(overstatedUnitsOf(1500n, prices)) / 1e12).toBeGreaterThanOrEqual(priced - billed);
    expect(overstatedUnitsOf(1500n, { inputPerMTok: 0.5, outputPerMTok: 1.5 })).toBe(0n);
  });
});

describe('canonicalModel', () => {
  it('strips provider paths and dated suffixes of catalog models and leaves unknown names as reported', () => {
    expect(pricer.canonicalModel('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(pricer.canonicalModel('openai/gpt-4o-mini-2024-07-18')).toBe('gpt-4o-mini');
    expect(pricer.canonicalModel('my-model-2025-01-01')).toBe('my-model-2025-01-01');
  });
});

describe('usageIncompleteOf', () => {
  it('names only the missing parts that have a price', () => {
    expect(usageIncompleteOf(['cacheReadTokens', 'cacheWriteTokens'], { cacheRead: true, cacheWrite: false })).toBe('cache_read');
    expect(usageIncompleteOf(['cacheWriteTokens'], { cacheRead: true, cacheWrite: true })).toBe('cache_write');
    expect(usageIncompleteOf(['reasoningTokens'], { cacheRead: true, cacheWrite: true })).toBeNull();
  });
});

describe('costs API helpers', () => {
  it('defaults to this month so far in UTC', () => {
    const now = Date.UTC(2026, 11, 2, 15, 30);
    expect(monthSoFarUtc(now)).toEqual({ fromMs: Date.UTC(2026, 11, 1), toMs: now });
    expect(costPeriod(5, undefined, now)).toEqual({ fromMs: 5, toMs: now });
  });

  it('says what sessions means per grouping and sums the bound exactly', () => {
    expect(sessionsMeaning(['tenant', 'day'])).toContain('add up to the number of sessions');
    expect(sessionsMeaning(['responseModel'])).toContain('once under each model');
    const row = (calls: number, bound: string) => ({ usageIncompleteCalls: calls, costOverstatedUpToUsd: bound }) as unknown as CostRow;
    expect(usageIncompleteSummary([row(1, '0.1'), row(2, '0.2')])).toMatchObject({ calls: 3, costMayBeOverstatedByUpToUsd: '0.300000000000' });
    expect(usageIncompleteSummary([row(0, '0')]).note).toBe('every call reported the cache parts its price has');
  });
});

describe('session cursor', () => {
  it('round-trips and builds the next link with the same filters', () => {
    const c = { startNs: '1763800000000000000', tenantId: 'acme', sessionId: 's/1' };
    expect(decodeCursor(encodeCursor(c))).toEqual({ status: 'ok', value: c });
    const link = nextLink('/api/v1/sessions', { kept: 'true', cursor: 'old', limit: '2' }, c);
    const qs = new URLSearchParams(link.split('?')[1]);
    expect([qs.get('kept'), qs.get('limit'), qs.get('cursor')]).toEqual(['true', '2', encodeCursor(c)]);
  });

  it('refuses anything it did not issue', () => {
    for (const bad of ['x', '!!', Buffer.from('{"v":1}').toString('base64url'), Buffer.from('{"v":1,"s":"99999999999999999999","t":"a","i":"b"}').toString('base64url')]) {
      const r = decodeCursor(bad);
      expect(r.status).toBe('failed');
      if (r.status === 'failed') expect(r.error.code).toBe('AGT_ERR_BAD_QUERY');
    }
  });
});

describe('toClusterStatements', () => {
  it('applies a sorting-key change to the local table only', () => {
    const out = toClusterStatements(['ALTER TABLE db.usage_hourly ADD COLUMN IF NOT EXISTS X String, MODIFY ORDER BY (TenantId, X)']);
    expect(out).toEqual([
      "ALTER TABLE db.usage_hourly_local ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS X String, MODIFY ORDER BY (TenantId, X)",
      "ALTER TABLE db.usage_hourly ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS X String",
    ]);
    expect(toClusterStatements(['ALTER TABLE db.usage_hourly MODIFY ORDER BY (TenantId)'])).toHaveLength(1);
  });
});
