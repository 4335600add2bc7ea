/** `agenttail residency`: the residency report from a running collector's API, or from the embedded data directory. */
import Table from 'cli-table3';
import { toCsv } from '../store/read/csv.js';
import { queryResidency, RESIDENCY_COLUMNS, type ResidencyReport } from '../store/read/residency.js';
import type { Config } from '../config/schema.js';
import { ResidencyRules } from '../sampling/basis/residency-check.js';
import { collectorHttpUrl } from './collector-address.js';
import { collectorAnswerError } from './collector-answer.js';
import { parsePeriodFlags, viaCollectorOrEmbedded } from './collector-or-embedded.js';
import { sourceFields, writeSourceNote } from './data-source.js';

export interface ResidencyCommandOptions {
  from: string;
  to: string;
  tenant?: string;
  format: 'table' | 'csv' | 'json';
  /** Collector HTTP address; undefined = receive.http of `config`. */
  url?: string | undefined;
  apiKey?: string;
  config: Config;
}

/** Prints the report (violations first); returns where it came from. Throws AgtError on bad input or an unreachable store. */
export async function runResidencyCommand(opts: ResidencyCommandOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<'api' | 'embedded'> {
  const { fromMs, toMs } = parsePeriodFlags(opts.from, opts.to);
  const tenant = opts.tenant ?? null;
  const { value: report, source } = await viaCollectorOrEmbedded<ResidencyReport>({
    collector: collectorHttpUrl(opts.config.receive, opts.url),
    store: opts.config.store,
    api: async (url) => {
      const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
      const qs = new URLSearchParams({ from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), format: 'json', ...(tenant !== null ? { tenant } : {}) });
      const res = await fetch(`${url}/api/v1/residency?${qs}`, { headers });
      const body = (await res.json()) as Partial<ResidencyReport> & { message?: string; errorCode?: string };
      if (!res.ok) throw collectorAnswerError(url, res.status, body);
      return { rows: body.rows ?? [], totals: body.totals! };
    },
    embedded: (client) => queryResidency(client, opts.config.store.database, new ResidencyRules(opts.config.residency), { fromMs, toMs, tenant }),
  });
  const columns = [...RESIDENCY_COLUMNS];
  if (opts.format === 'json') out.write(JSON.stringify({ ...sourceFields(source), ...report }, null, 2) + '\n');
  else if (opts.format === 'csv') out.write(toCsv(report.rows as unknown as Record<string, unknown>[], columns));
  else {
    const table = new Table({ head: columns });
    for (const r of report.rows) table.push(columns.map((c) => String(r[c])));
    out.write(table.toString() + '\n');
  }
  writeSourceNote(opts.format, source, out, err);
  return source.kind;
}
