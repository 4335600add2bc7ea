/** `agenttail costs`: cost rollups from a running collector's API, or from the embedded data directory. */
import Table from 'cli-table3';
import { GROUP_COLUMNS, METRIC_COLUMNS, queryCosts, toCsv, type CostRow } from '../api/costs-route.js';
import { parseTime } from '../api/read-scope.js';
import type { Config } from '../config/schema.js';
import { AgtError } from '../errors.js';
import { createStoreClient } from '../store/store-client.js';

export interface CostsCommandOptions {
  from: string;
  to: string;
  groupBy: string;
  format: 'table' | 'csv' | 'json';
  url: string;
  apiKey?: string;
  config: Config;
}

/** Prints the rollup; returns where it came from. Throws AgtError on bad input or an unreachable store. */
export async function runCostsCommand(opts: CostsCommandOptions, out: NodeJS.WritableStream): Promise<'api' | 'embedded'> {
  const fromMs = parseTime(opts.from);
  const toMs = parseTime(opts.to);
  if (fromMs === null) throw new AgtError('AGT_ERR_BAD_QUERY', `--from ${JSON.stringify(opts.from)} is not ISO-8601 or epoch ms`);
  if (toMs === null) throw new AgtError('AGT_ERR_BAD_QUERY', `--to ${JSON.stringify(opts.to)} is not ISO-8601 or epoch ms`);
  const groupBy = opts.groupBy.split(',').map((g) => g.trim()).filter(Boolean);
  const bad = groupBy.find((g) => !(g in GROUP_COLUMNS));
  if (bad) throw new AgtError('AGT_ERR_BAD_QUERY', `--group-by ${JSON.stringify(bad)} is not one of ${Object.keys(GROUP_COLUMNS).join(', ')}`);

  let rows: CostRow[];
  let source: 'api' | 'embedded' = 'api';
  try {
    const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
    const qs = new URLSearchParams({ from: String(fromMs), to: String(toMs), groupBy: groupBy.join(','), format: 'json' });
    const res = await fetch(`${opts.url.replace(/\/$/, '')}/api/v1/costs?${qs}`, { headers });
    const body = (await res.json()) as { rows?: CostRow[]; message?: string };
    if (!res.ok) throw new AgtError('AGT_ERR_BAD_QUERY', `the collector answered ${res.status}: ${body.message ?? ''}`);
    rows = body.rows ?? [];
  } catch (err) {
    if (err instanceof AgtError || !isConnectionRefused(err)) throw err;
    // No collector answers: read the embedded data directory ourselves (chDB locks it to one process).
    if (opts.config.store.kind !== 'embedded') throw new AgtError('AGT_ERR_STORE', `no collector at ${opts.url}`, { cause: err });
    source = 'embedded';
    let client;
    try {
      client = await createStoreClient(opts.config.store);
    } catch (e) {
      throw new AgtError('AGT_ERR_STORE', `no collector at ${opts.url}, and the data directory ${opts.config.store.path} cannot be opened (is another process holding it?): ${(e as Error).message}`, { cause: e });
    }
    try {
      rows = await queryCosts(client, opts.config.store.database, { fromMs, toMs, groupBy, tenant: null });
    } finally {
      await client.close();
    }
  }
  const columns = [...groupBy, ...METRIC_COLUMNS];
  if (opts.format === 'json') out.write(JSON.stringify({ source, groupBy, rows }, null, 2) + '\n');
  else if (opts.format === 'csv') out.write(toCsv(rows, columns));
  else {
    const table = new Table({ head: columns });
    for (const r of rows) table.push(columns.map((c) => String(r[c] ?? '')));
    out.write(table.toString() + '\n');
  }
  return source;
}

/** True when a fetch failed because nothing listens at the address (no collector runs). */
export function isConnectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED' || (err as { code?: string }).code === 'ECONNREFUSED';
}
