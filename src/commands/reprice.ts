/** `agenttail reprice`: re-prices a period's rollups through a running collector, or on the embedded data directory. */
import type { Config } from '../config/schema.js';
import { AgtError } from '../model/errors.js';
import type { Logger } from '../log.js';
import { Pricer } from '../pricing/pricer.js';
import { runMigrations } from '../store/migrations.js';
import { repriceUsage, type RepriceResult } from '../store/reprice.js';
import { collectorHttpUrl } from './collector-address.js';
import { collectorAnswerError } from './collector-answer.js';
import { parsePeriodFlags, viaCollectorOrEmbedded } from './collector-or-embedded.js';
import { sourceFields, writeSourceNote, type DataSource } from './data-source.js';
import { newTable } from './table.js';

export interface RepriceCommandOptions {
  from: string;
  to: string;
  tenant?: string;
  dryRun?: boolean;
  format: 'table' | 'json';
  /** Collector HTTP address; undefined = receive.http of `config`. */
  url?: string | undefined;
  apiKey?: string;
  config: Config;
  log: Logger;
}

/** Changed keys listed in table format; JSON lists them all. */
const TABLE_CHANGES = 50;

/** Runs the re-pricing and prints what changed; returns where it ran. Throws AgtError on bad input or failure. */
export async function runRepriceCommand(opts: RepriceCommandOptions, out: NodeJS.WritableStream): Promise<'api' | 'embedded'> {
  const { fromMs, toMs } = parsePeriodFlags(opts.from, opts.to);
  if (opts.tenant === '') throw new AgtError('AGT_ERR_BAD_QUERY', '--tenant must not be empty');
  const request = { fromMs, toMs, tenant: opts.tenant ?? null, dryRun: opts.dryRun === true };

  const { value: result, source } = await viaCollectorOrEmbedded({
    collector: collectorHttpUrl(opts.config.receive, opts.url),
    store: opts.config.store,
    api: async (url) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) };
      const res = await fetch(`${url}/api/v1/reprice`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), dryRun: request.dryRun, ...(opts.tenant === undefined ? {} : { tenant: opts.tenant }) }),
      });
      const body = (await res.json()) as RepriceResult & { message?: string; errorCode?: string };
      if (!res.ok) throw collectorAnswerError(url, res.status, body);
      return body as RepriceResult;
    },
    embedded: async (client) => {
      // A data directory written by an older agenttail may lack the reprice columns and table.
      await runMigrations({ client, database: opts.config.store.database, log: opts.log });
      const pricer = new Pricer({ overrides: opts.config.pricing.overrides });
      return repriceUsage({ client, database: opts.config.store.database, pricer, request });
    },
  });
  if (opts.format === 'json') out.write(JSON.stringify({ ...sourceFields(source), ...result }, null, 2) + '\n');
  else {
    out.write(formatTable(source, result, out));
    writeSourceNote(opts.format, source, out, out);
  }
  return source.kind;
}

function formatTable(source: DataSource, r: RepriceResult, out: NodeJS.WritableStream): string {
  const summary = newTable(out);
  summary.push(
    { run: `${r.runId}${r.dryRun ? ' (dry run: nothing written)' : ''} via ${source.kind}` },
    { period: `${r.from} .. ${r.to}` },
    { tenant: r.tenant ?? 'all' },
    { catalog: r.catalogVersion },
    { 'rollup rows': `${r.rowsExamined} examined, ${r.rowsChanged} changed, ${r.rowsUnknownModel} unknown model, ${r.rowsReportedCost} with reported costs (left as is)` },
    { 'cost before': r.costBeforeUsd },
    { 'cost after': r.costAfterUsd },
    { delta: r.deltaUsd },
  );
  let text = summary.toString() + '\n';
  if (r.changes.length > 0) {
    const head = ['tenant', 'hour', 'service', 'agent', 'provider', 'model', 'reported as', 'calls', 'before', 'after', 'delta'];
    const changes = newTable(out, head);
    for (const c of r.changes.slice(0, TABLE_CHANGES)) {
      changes.push([c.tenant, c.hour, c.service, c.agent, c.provider, c.model, c.rawModel, String(c.calls), c.costBeforeUsd, c.costAfterUsd, c.deltaUsd]);
    }
    text += changes.toString() + '\n';
    if (r.changes.length > TABLE_CHANGES) text += `… and ${r.changes.length - TABLE_CHANGES} more changed rows (--format json lists all)\n`;
  }
  return text;
}
