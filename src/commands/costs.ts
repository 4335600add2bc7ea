/** `agenttail costs`: cost rollups from a running collector's API, or from the embedded data directory. */
import { isoUtc, monthSoFarUtc } from '../api/read-time.js';
import { costColumns, GROUP_COLUMNS, queryCosts, sessionsMeaning, usageIncompleteSummary, type CostRow } from '../store/read/costs.js';
import { toCsv } from '../store/read/csv.js';
import { periodError, timeOrThrow } from '../api/strict-time.js';
import type { Config } from '../config/schema.js';
import { AgtError } from '../model/errors.js';
import { collectorHttpUrl } from './collector-address.js';
import { collectorAnswerError } from './collector-answer.js';
import { viaCollectorOrEmbedded } from './collector-or-embedded.js';
import { sourceFields, writeSourceNote } from './data-source.js';
import { newTable } from './table.js';

export interface CostsCommandOptions {
  /** Start (ISO-8601 or epoch ms); default: 00:00 UTC on the 1st of this month. */
  from?: string | undefined;
  /** End (excluded); default: now. */
  to?: string | undefined;
  groupBy: string;
  format: 'table' | 'csv' | 'json';
  /** Collector HTTP address; undefined = receive.http of `config`. */
  url?: string | undefined;
  apiKey?: string;
  config: Config;
}

/** Prints the rollup; returns where it came from. Throws AgtError on bad input or an unreachable store. */
export async function runCostsCommand(opts: CostsCommandOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<'api' | 'embedded'> {
  const month = monthSoFarUtc(Date.now());
  const fromMs = opts.from === undefined ? month.fromMs : timeOrThrow('--from', opts.from);
  const toMs = opts.to === undefined ? month.toMs : timeOrThrow('--to', opts.to);
  const empty = periodError({ from: '--from', to: '--to' }, fromMs, toMs, opts.from === undefined || opts.to === undefined ? ' (the default period is this month so far, UTC)' : '');
  if (empty !== null) throw empty;
  const groupBy = opts.groupBy.split(',').map((g) => g.trim()).filter(Boolean);
  const bad = groupBy.find((g) => !(g in GROUP_COLUMNS));
  if (bad) throw new AgtError('AGT_ERR_BAD_QUERY', `--group-by ${JSON.stringify(bad)} is not one of ${Object.keys(GROUP_COLUMNS).join(', ')}`);

  const { value: rows, source } = await viaCollectorOrEmbedded({
    collector: collectorHttpUrl(opts.config.receive, opts.url),
    store: opts.config.store,
    api: async (url) => {
      const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
      const qs = new URLSearchParams({ from: isoUtc(fromMs), to: isoUtc(toMs), groupBy: groupBy.join(','), format: 'json' });
      const res = await fetch(`${url}/api/v1/costs?${qs}`, { headers });
      const body = (await res.json()) as { rows?: CostRow[]; message?: string; errorCode?: string };
      if (!res.ok) throw collectorAnswerError(url, res.status, body);
      return body.rows ?? [];
    },
    embedded: (client) => queryCosts(client, opts.config.store.database, { fromMs, toMs, groupBy, tenant: null }),
  });
  const columns = costColumns(groupBy);
  const incomplete = usageIncompleteSummary(rows);
  if (opts.format === 'json') {
    const body = { ...sourceFields(source), from: isoUtc(fromMs), to: isoUtc(toMs), groupBy, sessionsMeaning: sessionsMeaning(groupBy), usageIncomplete: incomplete, rows };
    out.write(JSON.stringify(body, null, 2) + '\n');
  } else if (opts.format === 'csv') out.write(toCsv(rows, columns));
  else {
    const table = newTable(out, columns);
    for (const r of rows) table.push(columns.map((c) => String(r[c] ?? '')));
    out.write(`${isoUtc(fromMs)} to ${isoUtc(toMs)}\n${table.toString()}\nsessions: ${sessionsMeaning(groupBy)}\n`);
    if (incomplete.calls > 0) out.write(`${incomplete.note}\n`);
  }
  writeSourceNote(opts.format, source, out, err);
  return source.kind;
}
