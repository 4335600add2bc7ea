/** Finance: GET /api/v1/costs — exact per-tenant cost rollups (dropped sessions included), JSON or CSV. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AgtError } from '../errors.js';
import type { Authenticator } from '../receive/auth.js';
import { decimalUnits, unitsCell } from '../store/cell-format.js';
import { isoUtc, monthSoFarUtc } from './read-time.js';
import { parseQuery, readScope, timeParam } from './read-scope.js';
import { sendError } from './send-error.js';
import { periodError } from './strict-time.js';

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

const query = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  groupBy: z.string().default('tenant'),
  format: z.enum(['json', 'csv']).default('json'),
  tenant: z.string().min(1).optional(),
}).strict();

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

/** RFC 4180 CSV with a header row. */
export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
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

/** The period of a request: the given bounds, else this month so far in UTC. */
export function costPeriod(fromMs: number | undefined, toMs: number | undefined, nowMs: number): { fromMs: number; toMs: number } {
  const d = monthSoFarUtc(nowMs);
  return { fromMs: fromMs ?? d.fromMs, toMs: toMs ?? d.toMs };
}

export function costsRoutes(params: { client: ClickHouseClient; database: string; auth: Authenticator }): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/v1/costs', async (req, reply) => {
      const q = parseQuery(query, req.query);
      if (q.status !== 'ok') return sendError(reply, q.error);
      const { fromMs, toMs } = costPeriod(q.value.from, q.value.to, Date.now());
      const defaults = q.value.from === undefined || q.value.to === undefined ? ' (the default period is this month so far, UTC)' : '';
      const empty = periodError({ from: 'from', to: 'to' }, fromMs, toMs, defaults);
      if (empty !== null) return sendError(reply, empty);
      const groupBy = q.value.groupBy.split(',').map((g) => g.trim()).filter((g) => g !== '');
      const bad = groupBy.find((g) => !(g in GROUP_COLUMNS));
      if (bad !== undefined) return sendError(reply, new AgtError('AGT_ERR_BAD_QUERY', `groupBy: ${JSON.stringify(bad)} is not one of ${Object.keys(GROUP_COLUMNS).join(', ')}`));
      const scope = readScope(params.auth, req, q.value.tenant);
      if (scope.status !== 'ok') return sendError(reply, scope.error);
      const rows = await queryCosts(params.client, params.database, { fromMs, toMs, groupBy, tenant: scope.value.tenant });
      reply.header('x-agenttail-mode', scope.value.mode);
      if (q.value.format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').send(toCsv(rows, costColumns(groupBy)));
      return {
        from: isoUtc(fromMs),
        to: isoUtc(toMs),
        groupBy,
        mode: scope.value.mode,
        tenantScope: scope.value.tenant ?? 'all',
        note: 'exact rollups of every model call, kept and dropped sessions alike',
        sessionsMeaning: sessionsMeaning(groupBy),
        usageIncomplete: usageIncompleteSummary(rows),
        rows,
      };
    });
  };
}
