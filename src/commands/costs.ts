/** `agenttail costs`: cost rollups from a running collector's API, or from the embedded data directory. */
import { GROUP_COLUMNS, METRIC_COLUMNS, queryCosts, toCsv, type CostRow } from '../api/costs-route.js';
import type { Config } from '../config/schema.js';
import { AgtError } from '../errors.js';
import { parsePeriodFlags, viaCollectorOrEmbedded } from './collector-or-embedded.js';
import { newTable } from './table.js';

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
  const { fromMs, toMs } = parsePeriodFlags(opts.from, opts.to);
  const groupBy = opts.groupBy.split(',').map((g) => g.trim()).filter(Boolean);
  const bad = groupBy.find((g) => !(g in GROUP_COLUMNS));
  if (bad) throw new AgtError('AGT_ERR_BAD_QUERY', `--group-by ${JSON.stringify(bad)} is not one of ${Object.keys(GROUP_COLUMNS).join(', ')}`);

  const { value: rows, source } = await viaCollectorOrEmbedded({
    url: opts.url,
    store: opts.config.store,
    api: async () => {
      const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
      const qs = new URLSearchParams({ from: String(fromMs), to: String(toMs), groupBy: groupBy.join(','), format: 'json' });
      const res = await fetch(`${opts.url.replace(/\/$/, '')}/api/v1/costs?${qs}`, { headers });
      const body = (await res.json()) as { rows?: CostRow[]; message?: string };
      if (!res.ok) throw new AgtError('AGT_ERR_BAD_QUERY', `the collector answered ${res.status}: ${body.message ?? ''}`);
      return body.rows ?? [];
    },
    embedded: (client) => queryCosts(client, opts.config.store.database, { fromMs, toMs, groupBy, tenant: null }),
  });
  const columns = [...groupBy, ...METRIC_COLUMNS];
  if (opts.format === 'json') out.write(JSON.stringify({ source, groupBy, rows }, null, 2) + '\n');
  else if (opts.format === 'csv') out.write(toCsv(rows, columns));
  else {
    const table = newTable(out, columns);
    for (const r of rows) table.push(columns.map((c) => String(r[c] ?? '')));
    out.write(table.toString() + '\n');
  }
  return source;
}
