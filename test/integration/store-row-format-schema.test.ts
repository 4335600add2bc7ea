/**
 * Compact rows (src/store/row-format.ts) against the migrated embedded engine, through the production connection
 * (createStoreClient: the raw insert with the column list): the column lists are the tables' insertable columns, and
 * what a compact line stores is what the row's JSONEachRow object stored, value for value, including the keys a
 * builder leaves out (spans that made no provider call) and nulls (unpriced spans, no eval score). A dead letter's Row
 * (objectLine) re-inserts as JSONEachRow to the same values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { drainStream, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import { silentLogger } from '../../src/log.js';
import type { SessionWrite } from '../../src/model/session.js';
import { runMigrations } from '../../src/store/migrations.js';
import { COMPACT_COLUMNS, insertStatement, objectLine, rowLine } from '../../src/store/row-format.js';
import { sessionTableRows } from '../../src/store/session-rows.js';
import { createStoreClient } from '../../src/store/store-client.js';
import type { StoreTable } from '../../src/store/tables.js';
import { randomSession, recentBaseNs, seeded } from './store-fixtures.js';

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

/** A kept write with what varies between rows: provider calls and spans without one, events and links, detectors, nulls. */
function variedWrite(): SessionWrite {
  const s = randomSession({ tenantId: 'acme', rand: seeded(11), kept: true, baseNs: recentBaseNs() });
  const spans = s.write.spans.map((span, i) =>
    i === 1
      ? { ...span, call: { ...span.call, serverAddress: 'api.openai.com', serverPort: 443, region: 'eu-west-1', regionSource: 'host' as const, ttftMs: 182.5, refusal: 'rate_limited' as const, retryAfterMs: 1200 } }
      : i === 2
        ? { ...span, call: { ...span.call, ttftMs: null, retryAfterMs: null }, cost: { ...span.cost, costUsd: null } }
        : span,
  );
  // The root (an aggregate) makes no provider call: its row leaves the provider-call columns out.
  spans[0] = { ...spans[0]!, call: NO_PROVIDER_CALL };
  const decision = {
    ...s.write.decision,
    detectors: { fired: ['retry_storm' as const], figures: { refusals: 3, refusalsByProvider: { openai: 3 }, backoffSeconds: 4.5, cacheCollapseExtraUsd: 0.125 }, culprits: [{ spanId: spans[1]!.spanId, reason: 'retry_storm' as const }] },
  };
  return { ...s.write, spans, storeSpans: true, decision, summary: { ...s.write.summary, minEvalScore: null } } as SessionWrite;
}

describe('compact rows against the migrated schema', () => {
  it("names each compact table's insertable columns, in the table's order", async () => {
    for (const [table, columns] of Object.entries(COMPACT_COLUMNS)) {
      const schema = await rows<{ name: string }>(`SELECT name FROM system.columns WHERE database = 'agenttail' AND table = '${table}' AND default_kind = '' ORDER BY position`);
      expect(schema.map((c) => c.name), table).toEqual(columns);
    }
  });

  it('stores from a compact line what the JSONEachRow object stored, and a dead letter re-inserts to the same', async () => {
    const write = variedWrite();
    const parts = sessionTableRows(write).filter((t): t is { table: StoreTable; rows: Record<string, unknown>[] } => t.rows !== null && COMPACT_COLUMNS[t.table] !== undefined);
    expect(parts.map((t) => t.table).sort()).toEqual(['session_ts', 'sessions', 'spans', 'trace_ts']);
    for (const { table, rows: tableRows } of parts) {
      for (const twin of ['objects', 'compact', 'dead']) await client.command({ query: `CREATE TABLE agenttail.${twin}_${table} AS agenttail.${table}` });
      await insert(`INSERT INTO agenttail.objects_${table} FORMAT JSONEachRow`, tableRows.map((r) => JSON.stringify(r)));
      const lines = tableRows.map((r) => rowLine(table, r));
      expect(lines[0]!.startsWith('['), table).toBe(true);
      await insert(insertStatement('agenttail', table).replace(`agenttail.${table} `, `agenttail.compact_${table} `), lines);
      await insert(`INSERT INTO agenttail.dead_${table} FORMAT JSONEachRow`, lines.map((l) => objectLine(table, l)));
      const all = (twin: string) => rows<Record<string, unknown>>(`SELECT * FROM agenttail.${twin}_${table} ORDER BY tuple(*)`);
      const objects = await all('objects');
      expect(objects, table).toHaveLength(tableRows.length);
      expect(await all('compact'), table).toEqual(objects);
      expect(await all('dead'), table).toEqual(objects);
    }
    // The varied cells made it: a provider call's columns, an unpriced span's NULL cost, the detector cells.
    const [call] = await rows<{ Region: string; ServerPort: number; TtftMs: number | null; Refusal: string }>(`SELECT Region, ServerPort, TtftMs, Refusal FROM agenttail.compact_spans WHERE SpanId = '${write.spans[1]!.spanId}'`);
    expect(call).toEqual({ Region: 'eu-west-1', ServerPort: 443, TtftMs: 182.5, Refusal: 'rate_limited' });
    const [root] = await rows<{ Region: string; TtftMs: number | null }>(`SELECT Region, TtftMs FROM agenttail.compact_spans WHERE SpanId = '${write.spans[0]!.spanId}'`);
    expect(root).toEqual({ Region: '', TtftMs: null });
    const [unpriced] = await rows<{ CostUsd: string | null }>(`SELECT CostUsd FROM agenttail.compact_spans WHERE SpanId = '${write.spans[2]!.spanId}'`);
    expect(unpriced!.CostUsd).toBeNull();
    const [session] = await rows<{ MinEvalScore: number | null; Refusals: number; RefusalsByProvider: Record<string, number>; Detectors: string[] }>('SELECT MinEvalScore, Refusals, RefusalsByProvider, Detectors FROM agenttail.compact_sessions');
    expect(session).toEqual({ MinEvalScore: null, Refusals: 3, RefusalsByProvider: { openai: 3 }, Detectors: ['retry_storm'] });
  });
});
