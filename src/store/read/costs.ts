/**
 * The finance read: exact per-tenant cost rollups from `usage_hourly` (dropped sessions included), as
 * GET /api/v1/costs and `npx agenttail costs` answer them. Routes and commands parse and scope; this runs the query.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { decimalUnits, unitsCell } from '../cell-format.js';

/**
 * groupBy names → usage_hourly expressions. `model` is the catalog's canonical model; `responseModel` the name as
 * the call reported it ('' for rows written before migration 008). Hours are ISO-8601 UTC with a `Z`, days UTC dates.
 */
export const GROUP_COLUMNS: Record<string, string> = {
  tenant: 'TenantId',
  service: 'ServiceName',
  agent: 'AgentName',
  provider: 'Provider',
  model: 'Model',
  responseModel: 'RawModel',
  region: 'Region',
  endpoint: 'Endpoint',
  hour: "formatDateTime(Hour, '%Y-%m-%dT%H:%i:%SZ', 'UTC')",
  day: "toString(toDate(Hour, 'UTC'))",
};

/** Groupings that split a session by model: their `sessions` count a session once under each model it called. */
const MODEL_GROUPS = ['model', 'responseModel'];

/** What `sessions` means in a row, by whether the grouping splits sessions by model (docs/storage.md). */
export function sessionsMeaning(groupBy: readonly string[]): string {
  return groupBy.some((g) => MODEL_GROUPS.includes(g))
    ? 'sessions that called the model: a session is counted once under each model it called (in the row of its first call of that model), so rows add up to more than the number of sessions'
    : 'sessions counted once each, in the row of their first model call (hour, service, agent and provider of that call): rows add up to the number of sessions';
}

export interface CostRow {
  [group: string]: string | number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: string; // exact decimal as text
  unpricedCalls: number;
  sessions: number;
  /** Calls priced without a cache part their price has (the client did not report it). */
  usageIncompleteCalls: number;
  /** Exact decimal as text: `costUsd` may overstate the true cost by at most this much (docs/clients.md). */
  costOverstatedUpToUsd: string;
}

/** Runs the rollup query; used by the route and the `costs` command. */
export async function queryCosts(
  client: ClickHouseClient,
  database: string,
  p: { fromMs: number; toMs: number; groupBy: string[]; tenant: string | null },
): Promise<CostRow[]> {
  const keys = p.groupBy.map((g) => `${GROUP_COLUMNS[g]} AS ${g}`);
  const byModel = p.groupBy.some((g) => MODEL_GROUPS.includes(g));
  const where = ['Hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64}))', 'Hour < fromUnixTimestamp64Milli({to:Int64})'];
  const qp: Record<string, unknown> = { from: p.fromMs, to: p.toMs };
  if (p.tenant !== null) {
    where.push('TenantId = {tenant:String}');
    qp.tenant = p.tenant;
  }
  const select = [
    ...keys,
    'sum(Calls) AS calls',
    'sum(InputTokens) AS inputTokens',
    'sum(OutputTokens) AS outputTokens',
    'sum(CacheReadTokens) AS cacheReadTokens',
    'sum(CacheWriteTokens) AS cacheWriteTokens',
    'sum(ReasoningTokens) AS reasoningTokens',
    'toString(sum(CostUsd)) AS costUsd',
    'sum(UnpricedCalls) AS unpricedCalls',
    // Rows written before migration 008 (RawModel '') have no ModelSessions: their Sessions (first call's model) stand in.
    byModel ? "sum(ModelSessions) + sumIf(Sessions, RawModel = '' AND Model != '') AS sessions" : 'sum(Sessions) AS sessions',
    'sum(UsageIncompleteCalls) AS usageIncompleteCalls',
    'toString(sum(CostOverstatedUpToUsd)) AS costOverstatedUpToUsd',
  ];
  // Grouped by canonical model: which reported names it gathers.
  if (p.groupBy.includes('model') && !p.groupBy.includes('responseModel')) select.push("arrayStringConcat(arraySort(groupUniqArrayIf(RawModel, RawModel != '')), ' ') AS responseModels");
  // sum() over SummingMergeTree parts is exact whether or not parts have merged yet.
  const sql = `SELECT ${select.join(', ')} FROM ${database}.usage_hourly WHERE ${where.join(' AND ')}${
    keys.length ? ` GROUP BY ${p.groupBy.join(', ')} ORDER BY ${p.groupBy.join(', ')}` : ''
  } SETTINGS output_format_json_quote_64bit_integers = 0`;
  const rs = await client.query({ query: sql, query_params: qp, format: 'JSONEachRow' });
  return rs.json<CostRow>();
}

export const METRIC_COLUMNS = [
  'calls',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'costUsd',
  'unpricedCalls',
  'sessions',
  'usageIncompleteCalls',
  'costOverstatedUpToUsd',
];

/** The columns of a costs table for a grouping: the groups, `responseModels` when grouped by model only, the metrics. */
export function costColumns(groupBy: readonly string[]): string[] {
  const extra = groupBy.includes('model') && !groupBy.includes('responseModel') ? ['responseModels'] : [];
  return [...groupBy, ...extra, ...METRIC_COLUMNS];
}

/** Σ of the rows' overstatement bounds and incomplete calls, as the answer's summary states them. */
export function usageIncompleteSummary(rows: readonly CostRow[]): { calls: number; costMayBeOverstatedByUpToUsd: string; note: string } {
  let units = 0n;
  let calls = 0;
  for (const r of rows) {
    units += decimalUnits(r.costOverstatedUpToUsd) ?? 0n;
    calls += Number(r.usageIncompleteCalls);
  }
  const bound = unitsCell(units);
  const note =
    calls === 0
      ? 'every call reported the cache parts its price has'
      : `cost may be overstated by up to ${bound} USD: ${calls} call(s) reported no cache breakdown and were priced as if nothing was cached (docs/clients.md)`;
  return { calls, costMayBeOverstatedByUpToUsd: bound, note };
}
