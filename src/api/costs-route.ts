/** Finance: GET /api/v1/costs — exact per-tenant cost rollups (dropped sessions included), JSON or CSV. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AgtError } from '../errors.js';
import type { Authenticator } from '../receive/auth.js';
import { parseQuery, readScope, timeParam } from './read-scope.js';
import { sendError } from './send-error.js';

/** groupBy names → usage_hourly expressions. */
export const GROUP_COLUMNS: Record<string, string> = {
  tenant: 'TenantId',
  service: 'ServiceName',
  agent: 'AgentName',
  provider: 'Provider',
  model: 'Model',
  region: 'Region',
  endpoint: 'Endpoint',
  hour: 'toString(Hour)',
  day: 'toString(toDate(Hour))',
};

const query = z.object({
  from: timeParam,
  to: timeParam,
  groupBy: z.string().default('tenant'),
  format: z.enum(['json', 'csv']).default('json'),
  tenant: z.string().min(1).optional(),
});

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
}

/** Runs the rollup query; used by the route and the `costs` command. */
export async function queryCosts(
  client: ClickHouseClient,
  database: string,
  p: { fromMs: number; toMs: number; groupBy: string[]; tenant: string | null },
): Promise<CostRow[]> {
  const keys = p.groupBy.map((g) => `${GROUP_COLUMNS[g]} AS ${g}`);
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
    'sum(Sessions) AS sessions',
  ];
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

export const METRIC_COLUMNS = ['calls', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'costUsd', 'unpricedCalls', 'sessions'];

export function costsRoutes(params: { client: ClickHouseClient; database: string; auth: Authenticator }): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/v1/costs', async (req, reply) => {
      const q = parseQuery(query, req.query);
      if (q.status !== 'ok') return sendError(reply, q.error);
      const { from: fromMs, to: toMs } = q.value;
      if (toMs <= fromMs) return sendError(reply, new AgtError('AGT_ERR_BAD_QUERY', 'to must be after from'));
      const groupBy = q.value.groupBy.split(',').map((g) => g.trim()).filter((g) => g !== '');
      const bad = groupBy.find((g) => !(g in GROUP_COLUMNS));
      if (bad !== undefined) return sendError(reply, new AgtError('AGT_ERR_BAD_QUERY', `groupBy: ${JSON.stringify(bad)} is not one of ${Object.keys(GROUP_COLUMNS).join(', ')}`));
      const scope = readScope(params.auth, req, q.value.tenant);
      if (scope.status !== 'ok') return sendError(reply, scope.error);
      const rows = await queryCosts(params.client, params.database, { fromMs, toMs, groupBy, tenant: scope.value.tenant });
      reply.header('x-agenttail-mode', scope.value.mode);
      if (q.value.format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').send(toCsv(rows, [...groupBy, ...METRIC_COLUMNS]));
      return {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        groupBy,
        mode: scope.value.mode,
        tenantScope: scope.value.tenant ?? 'all',
        note: 'exact rollups of every model call, kept and dropped sessions alike',
        rows,
      };
    });
  };
}
