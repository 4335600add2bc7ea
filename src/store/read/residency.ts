/**
 * The residency report: calls, tokens and cost by tenant × provider × region × endpoint from the exact rollups
 * (usage_hourly, dropped sessions included), each row judged against its tenant's current policy; violations first.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { AgtError } from '../../model/errors.js';
import type { ResidencyJudge, ResidencyStatus } from '../../model/residency.js';
import { decimalUnits, unitsCell } from '../cell-format.js';

/** One report row; costUsd is an exact decimal as text. */
export interface ResidencyRow {
  tenant: string;
  provider: string;
  region: string;
  endpoint: string;
  status: ResidencyStatus;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  costUsd: string;
  unpricedCalls: number;
}

/** The report: rows (violations first) and the totals of each status. */
export interface ResidencyReport {
  rows: ResidencyRow[];
  totals: Record<ResidencyStatus, { calls: number; costUsd: string }>;
}

/** Columns of the CSV and table output, in order. */
export const RESIDENCY_COLUMNS: readonly (keyof ResidencyRow)[] = ['status', 'tenant', 'provider', 'region', 'endpoint', 'calls', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'costUsd', 'unpricedCalls'];

const STATUS_ORDER: readonly ResidencyStatus[] = ['violation', 'unknown', 'ok', 'no_policy'];

/** Runs the report for whole hours from the hour holding `fromMs` up to `toMs`; `tenant` null = every tenant. */
export async function queryResidency(
  client: ClickHouseClient,
  database: string,
  rules: ResidencyJudge,
  p: { fromMs: number; toMs: number; tenant: string | null },
): Promise<ResidencyReport> {
  const where = ['Hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64}))', 'Hour < fromUnixTimestamp64Milli({to:Int64})'];
  const qp: Record<string, unknown> = { from: p.fromMs, to: p.toMs };
  if (p.tenant !== null) {
    where.push('TenantId = {tenant:String}');
    qp.tenant = p.tenant;
  }
  let raw: Omit<ResidencyRow, 'status'>[];
  try {
    const rs = await client.query({
      query: `SELECT TenantId AS tenant, Provider AS provider, Region AS region, Endpoint AS endpoint, sum(Calls) AS calls,
          sum(InputTokens) AS inputTokens, sum(OutputTokens) AS outputTokens, sum(CacheReadTokens) AS cacheReadTokens,
          toString(sum(CostUsd)) AS costUsd, sum(UnpricedCalls) AS unpricedCalls
        FROM ${database}.usage_hourly WHERE ${where.join(' AND ')}
        GROUP BY tenant, provider, region, endpoint HAVING calls > 0 ORDER BY tenant, provider, region, endpoint
        SETTINGS output_format_json_quote_64bit_integers = 0`,
      query_params: qp,
      format: 'JSONEachRow',
    });
    raw = await rs.json<Omit<ResidencyRow, 'status'>>();
  } catch (cause) {
    throw new AgtError('AGT_ERR_STORE', `residency report: cannot read usage_hourly: ${(cause as Error).message}`, { cause });
  }
  const rows: ResidencyRow[] = raw.map((r) => ({ ...r, status: rules.status(r.tenant, r.region) }));
  // Array.prototype.sort is stable: within a status, the SQL order (tenant, provider, region, endpoint) stays.
  rows.sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status));
  const units = new Map<ResidencyStatus, { calls: number; units: bigint }>(STATUS_ORDER.map((s) => [s, { calls: 0, units: 0n }]));
  for (const r of rows) {
    const t = units.get(r.status)!;
    t.calls += r.calls;
    t.units += decimalUnits(r.costUsd) ?? 0n;
  }
  const totals = Object.fromEntries(STATUS_ORDER.map((s) => [s, { calls: units.get(s)!.calls, costUsd: unitsCell(units.get(s)!.units) }])) as ResidencyReport['totals'];
  return { rows, totals };
}
