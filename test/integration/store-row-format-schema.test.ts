/**
 * Compact rows (src/store/row-format.ts) against the migrated embedded engine, through the production connection
 * (createStoreClient: the raw insert with the column list): the column lists are the tables' insertable columns, and
 * for every table what a compact line stores is what the row's JSONEachRow object stored, value for value, including
 * the keys a builder leaves out (spans that made no provider call), nulls (unpriced spans, no eval score) and a
 * computed DEFAULT column. A dead letter's Row (objectLine) re-inserts as JSONEachRow to the same values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { drainStream, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { runMigrations } from '../../src/store/migrations.js';
import { COMPACT_COLUMNS, insertStatement, objectLine, rowLine } from '../../src/store/row-format.js';
import { createStoreClient } from '../../src/store/store-client.js';
import { recentBaseNs } from './store-fixtures.js';
import { rowsOfEveryTable, variedWrites } from './store-table-rows.js';

let dir = '';
let client: ClickHouseClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agt-row-format-'));
  client = await createStoreClient({ kind: 'embedded', path: dir, database: 'agenttail' } as Parameters<typeof createStoreClient>[0]);
  await runMigrations({ client, database: 'agenttail', log: silentLogger() });
});
afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

async function insert(query: string, lines: string[]): Promise<void> {
  const res = await client.exec({ query, values: Readable.from([Buffer.from(lines.map((l) => l + '\n').join(''))]), clickhouse_settings: { input_format_skip_unknown_fields: 0, input_format_null_as_default: 1 } });
  await drainStream(res.stream);
}

describe('compact rows against the migrated schema', () => {
  it("names each compact table's insertable columns, in the table's order", async () => {
    for (const [table, columns] of Object.entries(COMPACT_COLUMNS)) {
      const schema = await rows<{ name: string }>(`SELECT name FROM system.columns WHERE database = 'agenttail' AND table = '${table}' AND default_kind = '' ORDER BY position`);
      expect(schema.map((c) => c.name), table).toEqual(columns);
    }
  });

  it('stores from a compact line what the JSONEachRow object stored, for every table, and a dead letter re-inserts to the same', async () => {
    const base = recentBaseNs();
    const all = rowsOfEveryTable(base);
    for (const [table, tableRows] of all) {
      for (const twin of ['objects', 'compact', 'dead']) await client.command({ query: `CREATE TABLE agenttail.${twin}_${table} AS agenttail.${table}` });
      await insert(`INSERT INTO agenttail.objects_${table} FORMAT JSONEachRow`, tableRows.map((r) => JSON.stringify(r)));
      const lines = tableRows.map((r) => rowLine(table, r));
      expect(lines[0]!.startsWith('['), table).toBe(true);
      await insert(insertStatement('agenttail', table).replace(`agenttail.${table} `, `agenttail.compact_${table} `), lines);
      await insert(`INSERT INTO agenttail.dead_${table} FORMAT JSONEachRow`, lines.map((l) => objectLine(table, l)));
      const stored = (twin: string) => rows<Record<string, unknown>>(`SELECT * FROM agenttail.${twin}_${table} ORDER BY tuple(*)`);
      const objects = await stored('objects');
      expect(objects, table).toHaveLength(tableRows.length);
      expect(await stored('compact'), table).toEqual(objects);
      expect(await stored('dead'), table).toEqual(objects);
    }
    // The varied cells made it: a provider call's columns, a span without one, an unpriced span's NULL cost, detector
    // cells, a computed DEFAULT column, a metric's exemplars and uint64 counts.
    const write = variedWrites(base)[1]!;
    const [call] = await rows<{ Region: string; ServerPort: number; TtftMs: number | null; Refusal: string }>(`SELECT Region, ServerPort, TtftMs, Refusal FROM agenttail.compact_spans WHERE SpanId = '${write.spans[1]!.spanId}'`);
    expect(call).toEqual({ Region: 'eu-west-1', ServerPort: 443, TtftMs: 182.5, Refusal: 'rate_limited' });
    const [root] = await rows<{ Region: string; TtftMs: number | null }>(`SELECT Region, TtftMs FROM agenttail.compact_spans WHERE SpanId = '${write.spans[0]!.spanId}'`);
    expect(root).toEqual({ Region: '', TtftMs: null });
    const [unpriced] = await rows<{ n: string }>('SELECT count() n FROM agenttail.compact_spans WHERE CostUsd IS NULL');
    expect(Number(unpriced!.n)).toBe(all.get('spans')!.filter((r) => r.CostUsd === null).length);
    const [session] = await rows<{ MinEvalScore: number | null; Refusals: number; RefusalsByProvider: Record<string, number>; Detectors: string[] }>(`SELECT MinEvalScore, Refusals, RefusalsByProvider, Detectors FROM agenttail.compact_sessions WHERE SessionId = '${write.summary.sessionId}'`);
    expect(session).toEqual({ MinEvalScore: null, Refusals: 3, RefusalsByProvider: { openai: 3 }, Detectors: ['retry_storm'] });
    const logs = await rows<{ same: number }>('SELECT TimestampTime = toDateTime(Timestamp) AS same FROM agenttail.compact_logs');
    expect(logs.map((l) => Number(l.same))).toEqual([1, 1]);
    const [hist] = await rows<{ BucketCounts: (string | number)[]; ex: string[] }>('SELECT BucketCounts, `Exemplars.TraceId` AS ex FROM agenttail.compact_otel_metrics_histogram');
    expect(hist!.BucketCounts.map(Number)).toEqual([0, 2, 1, 0]);
    expect(hist!.ex).toEqual(['a'.repeat(32)]);
  });
});
