/**
 * What the row format costs, on the e2e traffic's session writes (bench/e2e/requests.ts through the production ingest
 * path, sessions decided): the rows of the tables written as JSONCompactEachRow (src/store/row-format.ts) turned into
 * lines and inserted into the embedded engine through the production connection, parsed on one thread as the store's
 * inserts are, against the same rows as JSONEachRow objects parsed in parallel chunks (the engine's default: the store
 * before) and the compact lines parsed in parallel, in the same run (each into its own twin table, `CREATE TABLE … AS`
 * the real one), alternating the order of the cases. Per ingested span: the main thread's CPU to write the lines
 * (`lines`), the process's CPU while the insert runs (`engine`: chDB parses and writes the part on its own threads),
 * and the body's bytes. Then the same per row for log records and metric points (20,000 rows per table, built by the
 * production builders).
 * CPU is process.cpuUsage (every thread), each case after a forced GC and a pause.
 * Run: node --expose-gc --import tsx bench/store-format.ts [requests] [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { drainStream } from '@clickhouse/client';
import Table from 'cli-table3';
import { silentLogger } from '../src/log.js';
import { runMigrations } from '../src/store/migrations.js';
import { insertStatement, rowLine } from '../src/store/row-format.js';
import { sessionTableRows } from '../src/store/session-rows.js';
import { createStoreClient } from '../src/store/store-client.js';
import type { StoreTable } from '../src/store/tables.js';
import { rowsOfEveryTable } from '../test/integration/store-table-rows.js';
import { decidedWrites } from './support/ingest-pipeline.js';

const REQUESTS = Number(process.argv[2] ?? 120);
const ROUNDS = Number(process.argv[3] ?? 4);

const { writes, spans } = await decidedWrites(REQUESTS);
const byTable = new Map<StoreTable, Record<string, unknown>[]>();
for (const w of writes) {
  for (const t of sessionTableRows(w)) {
    if (t.rows === null) continue;
    const list = byTable.get(t.table) ?? [];
    for (const r of t.rows) list.push(r);
    byTable.set(t.table, list);
  }
}

type Format = 'JSONEachRow, parallel parsing (before)' | 'JSONCompactEachRow, parallel parsing' | 'JSONCompactEachRow, one thread (now)';
/** The twin table each case inserts into (each its own, so parts and merges are alike), its lines and its settings. */
const CASES: Record<Format, { twin: string; line: (table: StoreTable, row: Record<string, unknown>) => string; compact: boolean; parallel: 0 | 1 }> = {
  'JSONEachRow, parallel parsing (before)': { twin: 'objects', line: (_t, row) => JSON.stringify(row), compact: false, parallel: 1 },
  'JSONCompactEachRow, parallel parsing': { twin: 'parallel', line: rowLine, compact: true, parallel: 1 },
  // What the store sends: the embedded connection parses on one thread unless told otherwise.
  'JSONCompactEachRow, one thread (now)': { twin: 'now', line: rowLine, compact: true, parallel: 0 },
};
const dir = mkdtempSync(join(tmpdir(), 'agt-store-format-'));
const client = await createStoreClient({ kind: 'embedded', path: dir, database: 'agenttail' } as Parameters<typeof createStoreClient>[0]);
await runMigrations({ client, database: 'agenttail', log: silentLogger() });

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/**
 * Logs and metric points: LOG_METRIC_ROWS rows per table, from the production builders' rows of
 * test/integration/store-table-rows.ts with their values, names, bodies and attributes varied row by row.
 */
const LOG_METRIC_ROWS = 20_000;
const LOG_METRIC_TABLES: StoreTable[] = ['logs', 'otel_metrics_sum', 'otel_metrics_gauge', 'otel_metrics_histogram'];
function logAndMetricRows(): Map<StoreTable, Record<string, unknown>[]> {
  const seed = rowsOfEveryTable(BigInt(Date.now() - 3_600_000) * 1_000_000n);
  const out = new Map<StoreTable, Record<string, unknown>[]>();
  for (const t of LOG_METRIC_TABLES) {
    const proto = seed.get(t)!;
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < LOG_METRIC_ROWS; i++) {
      const r = { ...proto[i % proto.length]! };
      if ('Value' in r) r.Value = i * 0.5;
      if ('MetricName' in r) r.MetricName = `agent.metric.${i % 50}`;
      if ('Body' in r) r.Body = `tool call ${i} finished after ${i % 997} ms`;
      if ('Attributes' in r) r.Attributes = { route: `r${i % 20}`, 'gen_ai.request.model': 'gpt-4o' };
      rows.push(r);
    }
    out.set(t, rows);
  }
  return out;
}

/** One measured group of rows: the session writes' tables (per ingested span) or one log or metric table (per row). */
interface Group {
  name: string;
  rows: Map<StoreTable, Record<string, unknown>[]>;
  /** What the CPU is divided by. */
  per: number;
  unit: string;
}
const groups: Group[] = [{ name: `session writes of ${spans} spans (${JSON.stringify(Object.fromEntries([...byTable].map(([t, r]) => [t, r.length])))} rows)`, rows: byTable, per: spans, unit: 'span' }];
for (const [t, rows] of logAndMetricRows()) groups.push({ name: `${t} (${rows.length} rows)`, rows: new Map([[t, rows]]), per: rows.length, unit: 'row' });
for (const g of groups) for (const table of g.rows.keys()) for (const c of Object.values(CASES)) await client.command({ query: `CREATE TABLE IF NOT EXISTS agenttail.${c.twin}_${table} AS agenttail.${table}` });

const samples = new Map<string, { lines: number[]; engine: number[]; bytes: number }>();

async function run(g: Group, format: Format): Promise<void> {
  const c = CASES[format];
  let lines = 0;
  let engine = 0;
  let bytes = 0;
  for (const [table, rows] of g.rows) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = cpuMs();
    let text = '';
    for (const row of rows) text += c.line(table, row) + '\n';
    const body = Buffer.from(text);
    const t1 = cpuMs();
    const statement = c.compact ? insertStatement('agenttail', table).replace(`agenttail.${table} `, `agenttail.${c.twin}_${table} `) : `INSERT INTO agenttail.${c.twin}_${table} FORMAT JSONEachRow`;
    const res = await client.exec({ query: statement, values: Readable.from([body]), clickhouse_settings: { input_format_skip_unknown_fields: 0, input_format_null_as_default: 1, input_format_parallel_parsing: c.parallel } });
    await drainStream(res.stream);
    const t2 = cpuMs();
    lines += t1 - t0;
    engine += t2 - t1;
    bytes += body.length;
  }
  const key = `${g.name}\u0000${format}`;
  const s = samples.get(key) ?? { lines: [], engine: [], bytes };
  s.lines.push((lines * 1000) / g.per);
  s.engine.push((engine * 1000) / g.per);
  samples.set(key, s);
}

try {
  const formats = Object.keys(CASES) as Format[];
  for (let round = 0; round < ROUNDS; round++) for (const g of groups) for (const f of round % 2 === 0 ? formats : [...formats].reverse()) await run(g, f);
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const table = new Table({ head: ['rows', 'format', 'lines: CPU µs (median)', 'engine: CPU µs (median)', 'body B', 'lines + engine vs before'] });
const out: Record<string, Record<string, unknown>> = {};
for (const g of groups) {
  const base = samples.get(`${g.name}\u0000JSONEachRow, parallel parsing (before)`)!;
  const baseTotal = median(base.lines) + median(base.engine);
  for (const format of Object.keys(CASES) as Format[]) {
    const s = samples.get(`${g.name}\u0000${format}`)!;
    const total = median(s.lines) + median(s.engine);
    table.push([`${g.name}, per ${g.unit}`, format, median(s.lines).toFixed(2), median(s.engine).toFixed(2), (s.bytes / g.per).toFixed(0), `${(total / baseTotal).toFixed(2)}×`]);
    (out[g.name] ??= {})[format] = { per: g.unit, linesUs: s.lines, engineUs: s.engine, bodyBytes: s.bytes / g.per };
  }
}
console.log(table.toString());
console.log(JSON.stringify({ bench: 'store-format', requests: REQUESTS, rounds: ROUNDS, spans, groups: out }));
