/**
 * Re-pricing of the exact rollups (`agenttail reprice`, `POST /api/v1/reprice`): recomputes the cost of every
 * usage_hourly key of a period from its summed tokens with the current price catalog, and inserts one
 * correction row per changed key whose CostUsd / UnpricedCalls are the deltas. Σ over the key then equals the
 * new price exactly (integer 1e-12 units), and a second run finds nothing to correct. See docs/storage.md.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { drainStream, type ClickHouseClient } from '@clickhouse/client';
import { AgtError } from '../model/errors.js';
import { costUnitsOf, overstatedUnitsOf } from '../pricing/cost.js';
import type { Pricer } from '../pricing/pricer.js';
import { decimalUnits, unitsCell } from './cell-format.js';

/** What to re-price. Whole hours: from the hour holding `fromMs` up to (excluding) `toMs`, as `costs` reads. */
export interface RepriceRequest {
  fromMs: number;
  toMs: number;
  /** null = every tenant. */
  tenant: string | null;
  /** Compute and report, write nothing. */
  dryRun: boolean;
}

/** One usage_hourly key whose cost changes. Amounts are exact decimals as text. */
export interface RepriceChange {
  tenant: string;
  hour: string;
  service: string;
  agent: string;
  provider: string;
  /** Canonical model, and the name as reported ('' in rows written before migration 008). */
  model: string;
  rawModel: string;
  region: string;
  endpoint: string;
  calls: number;
  unpricedCallsBefore: number;
  costBeforeUsd: string;
  costAfterUsd: string;
  deltaUsd: string;
  /** The bound on how much the cost may be overstated (incomplete usage), before and after. */
  overstatedUpToBeforeUsd: string;
  overstatedUpToAfterUsd: string;
}

/** The outcome of a run (also what `reprice_runs` records, for runs that write). */
export interface RepriceResult {
  runId: string;
  dryRun: boolean;
  from: string;
  to: string;
  tenant: string | null;
  catalogVersion: string;
  rowsExamined: number;
  rowsChanged: number;
  /** Keys left as they were because the catalog has no price for their model at that hour. */
  rowsUnknownModel: number;
  /** Keys left as they were because some of their calls carry a cost reported by the client. */
  rowsReportedCost: number;
  costBeforeUsd: string;
  costAfterUsd: string;
  deltaUsd: string;
  changes: RepriceChange[];
}

interface KeyRow {
  tenant: string;
  hourS: number;
  service: string;
  agent: string;
  provider: string;
  model: string;
  rawModel: string;
  region: string;
  endpoint: string;
  calls: string;
  input: string;
  output: string;
  cacheRead: string;
  cacheWrite: string;
  reasoning: string;
  cost: string;
  unpriced: string;
  reported: string;
  cacheUnreported: string;
  overstated: string;
}

/** Correction rows per insert; each insert has its own dedup token. */
const INSERT_CHUNK_ROWS = 5_000;

/** Re-prices the period. Throws AgtError: AGT_ERR_BAD_QUERY for a bad period, AGT_ERR_STORE when ClickHouse fails. */
export async function repriceUsage(params: {
  client: ClickHouseClient;
  database: string;
  pricer: Pricer;
  request: RepriceRequest;
  now?: () => number;
}): Promise<RepriceResult> {
  const { client, database, pricer, request } = params;
  const now = params.now ?? Date.now;
  if (!Number.isFinite(request.fromMs) || !Number.isFinite(request.toMs)) throw new AgtError('AGT_ERR_BAD_QUERY', 'from and to must be finite times');
  if (request.toMs <= request.fromMs) throw new AgtError('AGT_ERR_BAD_QUERY', `to (${new Date(request.toMs).toISOString()}) must be after from (${new Date(request.fromMs).toISOString()})`);
  const startedAt = now();
  const runId = randomUUID();
  const keys = await storeCall('read usage_hourly', () => readKeys(client, database, request));

  let before = 0n;
  let after = 0n;
  let unknown = 0;
  let reported = 0;
  const changes: RepriceChange[] = [];
  const corrections: Record<string, unknown>[] = [];
  for (const k of keys) {
    const current = decimalUnits(k.cost);
    if (current === null) throw new AgtError('AGT_ERR_INTERNAL', `usage_hourly cost ${JSON.stringify(k.cost)} is not a decimal`);
    before += current;
    const next = newCost(k, pricer);
    if (next === 'unknown') unknown += 1;
    if (next === 'reported') reported += 1;
    if (typeof next === 'string') {
      after += current;
      continue;
    }
    after += next.cost;
    const unpriced = BigInt(k.unpriced);
    const overstated = decimalUnits(k.overstated) ?? 0n;
    if (next.cost === current && unpriced === 0n && next.overstated === overstated) continue;
    corrections.push({
      TenantId: k.tenant,
      Hour: k.hourS,
      ServiceName: k.service,
      AgentName: k.agent,
      Provider: k.provider,
      Model: k.model,
      RawModel: k.rawModel,
      Region: k.region,
      Endpoint: k.endpoint,
      Calls: 0,
      InputTokens: 0,
      OutputTokens: 0,
      CacheReadTokens: 0,
      CacheWriteTokens: 0,
      ReasoningTokens: 0,
      CostUsd: unitsCell(next.cost - current),
      UnpricedCalls: (-unpriced).toString(),
      ReportedCalls: 0,
      Sessions: 0,
      ModelSessions: 0,
      UsageIncompleteCalls: 0,
      CacheUnreportedInputTokens: 0,
      CostOverstatedUpToUsd: unitsCell(next.overstated - overstated),
    });
    changes.push({
      tenant: k.tenant,
      hour: new Date(k.hourS * 1000).toISOString(),
      service: k.service,
      agent: k.agent,
      provider: k.provider,
      model: k.model,
      rawModel: k.rawModel,
      region: k.region,
      endpoint: k.endpoint,
      calls: Number(k.calls),
      unpricedCallsBefore: Number(unpriced),
      costBeforeUsd: unitsCell(current),
      costAfterUsd: unitsCell(next.cost),
      deltaUsd: unitsCell(next.cost - current),
      overstatedUpToBeforeUsd: unitsCell(overstated),
      overstatedUpToAfterUsd: unitsCell(next.overstated),
    });
  }

  const result: RepriceResult = {
    runId,
    dryRun: request.dryRun,
    from: new Date(request.fromMs).toISOString(),
    to: new Date(request.toMs).toISOString(),
    tenant: request.tenant,
    catalogVersion: pricer.catalogLabel,
    rowsExamined: keys.length,
    rowsChanged: changes.length,
    rowsUnknownModel: unknown,
    rowsReportedCost: reported,
    costBeforeUsd: unitsCell(before),
    costAfterUsd: unitsCell(after),
    deltaUsd: unitsCell(after - before),
    changes,
  };
  if (request.dryRun) return result;

  for (let i = 0; i < corrections.length; i += INSERT_CHUNK_ROWS) {
    const chunk = corrections.slice(i, i + INSERT_CHUNK_ROWS);
    await storeCall('insert the usage_hourly corrections', () => insertRows(client, `${database}.usage_hourly`, chunk, runId));
  }
  const run = {
    RunId: runId,
    // DateTime64(3) cells as JSON integers: read as milliseconds (a short digit string such as "0" would not parse).
    StartedAt: Math.round(startedAt),
    FinishedAt: Math.round(now()),
    PeriodFrom: Math.round(request.fromMs),
    PeriodTo: Math.round(request.toMs),
    TenantId: request.tenant ?? '',
    CatalogVersion: result.catalogVersion,
    RowsExamined: result.rowsExamined,
    RowsChanged: result.rowsChanged,
    RowsUnknownModel: unknown,
    RowsReportedCost: reported,
    CostBeforeUsd: result.costBeforeUsd,
    CostAfterUsd: result.costAfterUsd,
  };
  await storeCall('record the run in reprice_runs', () => insertRows(client, `${database}.reprice_runs`, [run], runId));
  return result;
}

/**
 * The key's cost and overstatement bound with the current catalog in 1e-12 units; or why it stays as it is. The
 * price is looked up by the name as reported (overrides may name a dated model), else by the canonical model.
 */
function newCost(k: KeyRow, pricer: Pricer): { cost: bigint; overstated: bigint } | 'unknown' | 'reported' {
  if (BigInt(k.reported) > 0n) return 'reported';
  const model = k.rawModel !== '' ? k.rawModel : k.model;
  const resolved = model === '' ? null : pricer.resolve(model, k.provider === '' ? null : k.provider, k.hourS * 1000);
  if (resolved === null) return 'unknown';
  const cost = costUnitsOf(
    { input: BigInt(k.input), output: BigInt(k.output), cacheRead: BigInt(k.cacheRead), cacheWrite: BigInt(k.cacheWrite), reasoning: BigInt(k.reasoning) },
    resolved.prices,
  );
  return { cost, overstated: overstatedUnitsOf(BigInt(k.cacheUnreported), resolved.prices) };
}

/** Every usage_hourly key of the period with its sums; integers and decimals as text so nothing is rounded. */
async function readKeys(client: ClickHouseClient, database: string, r: RepriceRequest): Promise<KeyRow[]> {
  const where = ['Hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64}))', 'Hour < fromUnixTimestamp64Milli({to:Int64})'];
  const qp: Record<string, unknown> = { from: r.fromMs, to: r.toMs };
  if (r.tenant !== null) {
    where.push('TenantId = {tenant:String}');
    qp.tenant = r.tenant;
  }
  const rs = await client.query({
    query: `SELECT TenantId AS tenant, toUInt32(toUnixTimestamp(Hour)) AS hourS, ServiceName AS service, AgentName AS agent,
        Provider AS provider, Model AS model, RawModel AS rawModel, Region AS region, Endpoint AS endpoint, toString(sum(Calls)) AS calls, toString(sum(InputTokens)) AS input,
        toString(sum(OutputTokens)) AS output, toString(sum(CacheReadTokens)) AS cacheRead, toString(sum(CacheWriteTokens)) AS cacheWrite,
        toString(sum(ReasoningTokens)) AS reasoning, toString(sum(CostUsd)) AS cost, toString(sum(UnpricedCalls)) AS unpriced,
        toString(sum(ReportedCalls)) AS reported, toString(sum(CacheUnreportedInputTokens)) AS cacheUnreported,
        toString(sum(CostOverstatedUpToUsd)) AS overstated
      FROM ${database}.usage_hourly WHERE ${where.join(' AND ')}
      GROUP BY tenant, hourS, service, agent, provider, model, rawModel, region, endpoint
      ORDER BY tenant, hourS, service, agent, provider, model, rawModel, region, endpoint`,
    query_params: qp,
    format: 'JSONEachRow',
  });
  return rs.json<KeyRow>();
}

/** One JSONEachRow insert whose dedup token is the run id + content: a retry of it cannot land twice. */
async function insertRows(client: ClickHouseClient, table: string, rows: Record<string, unknown>[], runId: string): Promise<void> {
  const body = Buffer.from(rows.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
  const token = createHash('sha256').update('reprice\n').update(runId).update('\n').update(body).digest('hex').slice(0, 32);
  const res = await client.exec({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    values: Readable.from([body], { objectMode: false }),
    clickhouse_settings: { insert_deduplication_token: token, input_format_skip_unknown_fields: 0 },
  });
  await drainStream(res.stream);
}

async function storeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof AgtError) throw cause;
    throw new AgtError('AGT_ERR_STORE', `reprice: cannot ${what}: ${(cause as Error).message}`, { cause });
  }
}
