import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { parseCatalog } from '../../src/pricing/catalog-schema.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { runMigrations } from '../../src/store/migrations.js';
import { repriceUsage, type RepriceRequest } from '../../src/store/reprice.js';

type Conn = NonNullable<Parameters<typeof createClient>[0]>['connection'];

// A test catalog: alpha's price halves on 2026-11-10; beta is new (its calls were stored unpriced).
const catalog = parseCatalog({
  version: 'test-2',
  currency: 'USD',
  models: [
    {
      provider: 'openai',
      model: 'alpha',
      patterns: ['alpha-*'],
      prices: [
        { effectiveFrom: '2026-01-01', inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5 },
        { effectiveFrom: '2026-11-10', inputPerMTok: 1, outputPerMTok: 4, cacheReadPerMTok: 0.25 },
      ],
    },
    { provider: 'x', model: 'beta', prices: [{ effectiveFrom: '2026-01-01', inputPerMTok: 0.15, outputPerMTok: 0.6 }] },
  ],
});
if (catalog.status !== 'ok') throw catalog.error;
const pricer = new Pricer({ catalog: catalog.value });

const H0 = Date.parse('2026-10-01T08:00:00Z') / 1000; // outside the period
const H1 = Date.parse('2026-11-05T10:00:00Z') / 1000; // alpha at 2 / 8 / 0.5
const H2 = Date.parse('2026-11-12T03:00:00Z') / 1000; // alpha at 1 / 4 / 0.25
const PERIOD = { fromMs: Date.parse('2026-11-01T00:00:00Z'), toMs: Date.parse('2026-12-01T00:00:00Z') };

let dir: string;
let client: ClickHouseClient;

interface UsageRow {
  tenant?: string;
  hour: number;
  service?: string;
  agent?: string;
  model: string;
  calls: number;
  input?: number;
  output?: number;
  cacheRead?: number;
  cost: string;
  unpriced?: number;
  reported?: number;
}

async function insertUsage(rows: UsageRow[]): Promise<void> {
  await client.insert({
    table: 'agenttail.usage_hourly',
    format: 'JSONEachRow',
    values: rows.map((r) => ({
      TenantId: r.tenant ?? 't1',
      Hour: r.hour,
      ServiceName: r.service ?? 'svc',
      AgentName: r.agent ?? 'agent',
      Provider: 'openai',
      Model: r.model,
      Calls: r.calls,
      InputTokens: r.input ?? 0,
      OutputTokens: r.output ?? 0,
      CacheReadTokens: r.cacheRead ?? 0,
      CacheWriteTokens: 0,
      ReasoningTokens: 0,
      CostUsd: r.cost,
      UnpricedCalls: r.unpriced ?? 0,
      ReportedCalls: r.reported ?? 0,
      Sessions: 1,
    })),
  });
}

async function query<T>(sql: string): Promise<T[]> {
  const rs = await client.query({ query: sql, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Σ cost and unpriced calls per key (model, hour, tenant, agent, service) as exact text. */
async function keyTotals(): Promise<Record<string, { cost: string; unpriced: string; calls: string }>> {
  const rows = await query<{ k: string; cost: string; unpriced: string; calls: string }>(
    `SELECT concat(TenantId, '/', Model, '/', toString(toUnixTimestamp(Hour)), '/', AgentName, '/', ServiceName) AS k,
       toString(sum(CostUsd)) AS cost, toString(sum(UnpricedCalls)) AS unpriced, toString(sum(Calls)) AS calls
     FROM agenttail.usage_hourly GROUP BY k ORDER BY k`,
  );
  return Object.fromEntries(rows.map((r) => [r.k, { cost: r.cost, unpriced: r.unpriced, calls: r.calls }]));
}

const run = (request: Partial<RepriceRequest> = {}, p: Pricer = pricer) =>
  repriceUsage({ client, database: 'agenttail', pricer: p, request: { ...PERIOD, tenant: 't1', dryRun: false, ...request } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agt-reprice-'));
  client = createClient({ connection: createChdbConnection({ path: dir }) as unknown as Conn });
  await runMigrations({ client, database: 'agenttail', log: silentLogger() });
  await insertUsage([
    // alpha @H1 in two parts: Σ in 1e6 (cache read 2e5), out 1e5 → 0.8×2 + 0.2×0.5 + 0.1×8 = 2.5 (was 1.0)
    { hour: H1, model: 'alpha', calls: 2, input: 600_000, cacheRead: 200_000, output: 50_000, cost: '0.7' },
    { hour: H1, model: 'alpha', calls: 1, input: 400_000, output: 50_000, cost: '0.3' },
    // alpha @H2 at the new price: 1e6 × 1 + 2.5e5 × 4 = 2 (was 3.5)
    { hour: H2, model: 'alpha-2026-11-01', calls: 4, input: 1_000_000, output: 250_000, cost: '3.5' },
    // beta, stored unpriced: 333 333 × 0.15 + 111 111 × 0.6 per 1M = 0.11666655
    { hour: H1, model: 'beta', calls: 3, input: 333_333, output: 111_111, cost: '0', unpriced: 3 },
    // unknown model: stays unpriced, never 0-priced
    { hour: H1, model: 'mystery', calls: 2, input: 5_000, output: 5_000, cost: '0', unpriced: 2 },
    // a reported cost: left alone
    { hour: H1, agent: 'gateway', model: 'alpha', calls: 2, input: 1_000_000, output: 0, cost: '9.99', reported: 1 },
    // already right: examined, unchanged
    { hour: H1, service: 'svc2', model: 'alpha', calls: 1, input: 1_000_000, output: 0, cost: '2' },
    // other tenant and outside the period
    { tenant: 't2', hour: H1, model: 'alpha', calls: 1, input: 100_000, cost: '0.1' },
    { hour: H0, model: 'alpha', calls: 1, input: 100_000, cost: '0.1' },
  ]);
});

afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('repriceUsage', () => {
  it('reports what would change on a dry run and writes nothing', async () => {
    const before = await keyTotals();
    const r = await run({ dryRun: true });
    expect(r).toMatchObject({
      dryRun: true,
      tenant: 't1',
      catalogVersion: 'test-2',
      rowsExamined: 6,
      rowsChanged: 3,
      rowsUnknownModel: 1,
      rowsReportedCost: 1,
      costBeforeUsd: '16.490000000000',
      costAfterUsd: '16.606666550000',
      deltaUsd: '0.116666550000',
    });
    expect(r.changes.map((c) => [c.model, c.hour, c.costBeforeUsd, c.costAfterUsd, c.unpricedCallsBefore])).toEqual([
      ['alpha', '2026-11-05T10:00:00.000Z', '1.000000000000', '2.500000000000', 0],
      ['beta', '2026-11-05T10:00:00.000Z', '0.000000000000', '0.116666550000', 3],
      ['alpha-2026-11-01', '2026-11-12T03:00:00.000Z', '3.500000000000', '2.000000000000', 0],
    ]);
    expect(await keyTotals()).toEqual(before);
    expect(await query('SELECT * FROM agenttail.reprice_runs')).toEqual([]);
  });

  it('corrects each key to the exact new price, prices formerly unpriced calls, leaves unknown and reported keys alone', async () => {
    const r = await run();
    expect(r.rowsChanged).toBe(3);
    const t = await keyTotals();
    expect(t[`t1/alpha/${H1}/agent/svc`]).toEqual({ cost: '2.5', unpriced: '0', calls: '3' });
    expect(t[`t1/alpha-2026-11-01/${H2}/agent/svc`]).toEqual({ cost: '2', unpriced: '0', calls: '4' });
    expect(t[`t1/beta/${H1}/agent/svc`]).toEqual({ cost: '0.11666655', unpriced: '0', calls: '3' });
    expect(t[`t1/mystery/${H1}/agent/svc`]).toEqual({ cost: '0', unpriced: '2', calls: '2' });
    expect(t[`t1/alpha/${H1}/gateway/svc`]).toEqual({ cost: '9.99', unpriced: '0', calls: '2' });
    expect(t[`t1/alpha/${H1}/agent/svc2`]).toEqual({ cost: '2', unpriced: '0', calls: '1' });
    expect(t[`t2/alpha/${H1}/agent/svc`]).toEqual({ cost: '0.1', unpriced: '0', calls: '1' });
    expect(t[`t1/alpha/${H0}/agent/svc`]).toEqual({ cost: '0.1', unpriced: '0', calls: '1' });
  });

  it('records the run with its catalog version, period, counts and cost before/after', async () => {
    const runs = await query<Record<string, string>>(
      `SELECT TenantId, CatalogVersion, toString(toUnixTimestamp64Milli(PeriodFrom)) AS pf, toString(toUnixTimestamp64Milli(PeriodTo)) AS pt,
         toString(RowsExamined) AS RowsExamined, toString(RowsChanged) AS RowsChanged, toString(RowsUnknownModel) AS RowsUnknownModel,
         toString(RowsReportedCost) AS RowsReportedCost, toString(CostBeforeUsd) AS before, toString(CostAfterUsd) AS after FROM agenttail.reprice_runs`,
    );
    expect(runs).toEqual([
      {
        TenantId: 't1',
        CatalogVersion: 'test-2',
        pf: String(PERIOD.fromMs),
        pt: String(PERIOD.toMs),
        RowsExamined: '6',
        RowsChanged: '3',
        RowsUnknownModel: '1',
        RowsReportedCost: '1',
        before: '16.49',
        after: '16.60666655',
      },
    ]);
  });

  it('changes nothing when run again, also after the parts merged', async () => {
    const before = await keyTotals();
    const again = await run();
    expect(again).toMatchObject({ rowsChanged: 0, costBeforeUsd: '16.606666550000', costAfterUsd: '16.606666550000', deltaUsd: '0.000000000000' });
    expect(await keyTotals()).toEqual(before);
    await client.command({ query: 'OPTIMIZE TABLE agenttail.usage_hourly FINAL' });
    expect(await keyTotals()).toEqual(before);
    expect((await run()).rowsChanged).toBe(0);
    expect(await query('SELECT RunId FROM agenttail.reprice_runs')).toHaveLength(3);
  });

  it('honours the tenant filter: another run for every tenant corrects only what t1 runs left', async () => {
    const r = await run({ tenant: null });
    expect(r.changes.map((c) => [c.tenant, c.model, c.costAfterUsd])).toEqual([['t2', 'alpha', '0.200000000000']]);
    expect((await keyTotals())[`t2/alpha/${H1}/agent/svc`]!.cost).toBe('0.2');
    const [last] = await query<{ TenantId: string }>('SELECT TenantId FROM agenttail.reprice_runs ORDER BY StartedAt DESC, RunId LIMIT 1');
    expect(last!.TenantId).toBe('');
  });

  it('records the overrides in the version, and re-prices with them', async () => {
    const withOverride = new Pricer({ catalog: catalog.value, overrides: [{ model: 'mystery', inputPerMTok: 100, outputPerMTok: 100, effectiveFrom: '2026-01-01' }] });
    const r = await run({}, withOverride);
    expect(r.catalogVersion).toBe('test-2+overrides');
    expect(r.changes.map((c) => [c.model, c.costAfterUsd])).toEqual([['mystery', '1.000000000000']]);
    expect((await keyTotals())[`t1/mystery/${H1}/agent/svc`]).toEqual({ cost: '1', unpriced: '0', calls: '2' });
  });

  it('refuses a period whose end is not after its start', async () => {
    await expect(run({ fromMs: PERIOD.toMs, toMs: PERIOD.fromMs })).rejects.toMatchObject({ code: 'AGT_ERR_BAD_QUERY' });
    await expect(run({ fromMs: PERIOD.fromMs, toMs: PERIOD.fromMs })).rejects.toMatchObject({ code: 'AGT_ERR_BAD_QUERY' });
    await expect(run({ fromMs: Number.NaN })).rejects.toMatchObject({ code: 'AGT_ERR_BAD_QUERY' });
  });
  it('re-prices canonical-model keys by their reported name and corrects the overstatement bound (migration 008)', async () => {
    const row = (rawModel: string, cost: string, unreported: number, bound: string) => ({
      TenantId: 't3', Hour: H2, ServiceName: 'svc', AgentName: 'agent', Provider: 'openai', Model: 'alpha', RawModel: rawModel,
      Calls: 1, InputTokens: 1_000_000, OutputTokens: 0, CacheReadTokens: 0, CacheWriteTokens: 0, ReasoningTokens: 0, CostUsd: cost,
      UnpricedCalls: 0, ReportedCalls: 0, Sessions: 1, ModelSessions: 1, UsageIncompleteCalls: unreported > 0 ? 1 : 0,
      CacheUnreportedInputTokens: unreported, CostOverstatedUpToUsd: bound,
    });
    // Priced at the old alpha price (2 per 1M, cache read 0.5: bound 1.5); at H2 the price is 1 (cache read 0.25: bound 0.75).
    await client.insert({ table: 'agenttail.usage_hourly', format: 'JSONEachRow', values: [row('alpha-2026-11-01', '2', 1_000_000, '1.5'), row('alpha', '1', 0, '0')] });
    const r = await run({ tenant: 't3' });
    expect(r.changes.map((c) => [c.model, c.rawModel, c.costAfterUsd, c.overstatedUpToBeforeUsd, c.overstatedUpToAfterUsd])).toEqual([
      ['alpha', 'alpha-2026-11-01', '1.000000000000', '1.500000000000', '0.750000000000'],
    ]);
    await client.command({ query: 'OPTIMIZE TABLE agenttail.usage_hourly FINAL' });
    // The two reported names stay two keys after the merge (RawModel is part of the sorting key).
    const keys = await query<{ RawModel: string; cost: string; bound: string }>(
      `SELECT RawModel, toString(CostUsd) AS cost, toString(CostOverstatedUpToUsd) AS bound FROM agenttail.usage_hourly WHERE TenantId = 't3' ORDER BY RawModel`,
    );
    expect(keys).toEqual([
      { RawModel: 'alpha', cost: '1', bound: '0' },
      { RawModel: 'alpha-2026-11-01', cost: '1', bound: '0.75' },
    ]);
    expect((await run({ tenant: 't3' })).rowsChanged).toBe(0);
  });
});
