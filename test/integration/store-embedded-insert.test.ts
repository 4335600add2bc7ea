/**
 * The embedded engine's insert path (src/store/store-client.ts embeddedConnection): an `INSERT ... FORMAT JSONEachRow`
 * exec goes to chDB's raw insert with its body as a Buffer and its settings in a SETTINGS clause, so the dedup token,
 * the strict field check and the memory budget must hold there exactly as on the SET path, errors must keep their
 * ClickHouse codes (the inserter retries and isolates by code), and the engine's freed pages are purged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSchema } from '../../src/config/store.js';
import { silentLogger } from '../../src/log.js';
import { connectStore } from '../../src/store/open-store.js';
import { PURGE_SQL } from '../../src/store/store-client.js';

let dir = '';
let client: ClickHouseClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agt-raw-insert-'));
  client = await connectStore(storeSchema.parse({ kind: 'embedded', path: dir }), silentLogger(), true);
  await client.command({ query: 'CREATE TABLE agenttail.raw_t (k UInt32, s String) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100' });
});
afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The batch inserter's call (src/store/batch-inserter.ts): a byte stream and the insert's settings. */
async function insert(body: Buffer | string[], settings: Record<string, string | number>): Promise<Record<string, string> | undefined> {
  const res = await client.exec({
    query: 'INSERT INTO agenttail.raw_t FORMAT JSONEachRow',
    values: Readable.from(Array.isArray(body) ? body : [body], { objectMode: false }),
    clickhouse_settings: { input_format_skip_unknown_fields: 0, ...settings },
  });
  for await (const _ of res.stream) void _;
  return res.summary as Record<string, string> | undefined;
}
const count = async (): Promise<number> => Number((await (await client.query({ query: 'SELECT count() AS n FROM agenttail.raw_t', format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);

describe('embedded inserts (raw Buffer path)', () => {
  it('inserts the rows, and the same batch under the same dedup token again adds none', async () => {
    const body = Buffer.from('{"k":1,"s":"a"}\n{"k":2,"s":"é😀"}\n', 'utf8');
    const summary = await insert(body, { insert_deduplication_token: 'tok-1' });
    expect(summary?.written_rows).toBe('2');
    await insert(body, { insert_deduplication_token: 'tok-1' });
    expect(await count()).toBe(2);
    await insert(['{"k":3,"s":"b"}\n', '{"k":4,"s":"c"}\n'], { insert_deduplication_token: 'tok-2' });
    expect(await count()).toBe(4);
    const rows = await (await client.query({ query: 'SELECT s FROM agenttail.raw_t WHERE k = 2', format: 'JSONEachRow' })).json<{ s: string }>();
    expect(rows).toEqual([{ s: 'é😀' }]);
  });

  it('refuses an unknown field with its ClickHouse code (input_format_skip_unknown_fields reaches the engine)', async () => {
    const err = await insert(Buffer.from('{"k":5,"s":"x","nope":1}\n'), { insert_deduplication_token: 'tok-3' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe('117');
    expect(await count()).toBe(4);
  });

  it('applies max_memory_usage to the insert (MEMORY_LIMIT_EXCEEDED, code 241)', async () => {
    const big = Buffer.from(Array.from({ length: 2000 }, (_, i) => JSON.stringify({ k: 100 + i, s: 'y'.repeat(500) }) + '\n').join(''), 'utf8');
    const err = await insert(big, { insert_deduplication_token: 'tok-4', max_memory_usage: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe('241');
    await insert(big, { insert_deduplication_token: 'tok-4' });
    expect(await count()).toBe(2004);
  });

  it('leaves other statements on the ordinary path, and the purge statement runs', async () => {
    await client.command({ query: PURGE_SQL });
    const rows = await (await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json<{ one: number }>();
    expect(rows).toEqual([{ one: 1 }]);
  });
});
