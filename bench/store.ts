/**
 * Store throughput and event-loop delay: rows/s into the embedded engine and into the HTTP endpoint
 * (test/support/clickhouse-http.ts over chDB), with the event-loop delay (p50/p99/max) measured by
 * monitorEventLoopDelay while the writer works. Baselines in the same run: an idle loop, and the
 * naive path (client.insert with an array of row objects) for the same span rows.
 * Run: npx tsx bench/store.ts [sessions] [maxConcurrentInserts]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import Table from 'cli-table3';
import { silentLogger } from '../src/log.js';
import { ClickHouseStore } from '../src/store/clickhouse-store.js';
import { runMigrations } from '../src/store/migrations.js';
import { buildSpanRow } from '../src/store/span-row.js';
import type { SessionWrite } from '../src/model/session.js';
import { startClickHouseHttp } from '../test/support/clickhouse-http.js';
import { randomSession, seeded } from '../test/integration/store-fixtures.js';

type Conn = NonNullable<Parameters<typeof createClient>[0]>['connection'];

const sessions = Number(process.argv[2] ?? 4000);
/** Inserts in flight (the store's default is 1; pass 6 to see parallel inserts on chDB). */
const CONCURRENCY = Number(process.argv[3] ?? 1);
const log = silentLogger();
const base = BigInt(Date.now() - 3_600_000) * 1_000_000n;

function makeWrites(seed: number): SessionWrite[] {
  const rand = seeded(seed);
  return Array.from({ length: sessions }, () => randomSession({ tenantId: 'bench', rand, kept: true, baseNs: base }).write);
}

interface Result {
  case: string;
  spanRows: number;
  seconds: number;
  spanRowsPerS: number;
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

async function measure(name: string, spanRows: number, work: () => Promise<void>): Promise<Result> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  return {
    case: name,
    spanRows,
    seconds: +seconds.toFixed(3),
    spanRowsPerS: Math.round(spanRows / seconds),
    loopP50Ms: +(h.percentile(50) / 1e6).toFixed(2),
    loopP99Ms: +(h.percentile(99) / 1e6).toFixed(2),
    loopMaxMs: +(h.max / 1e6).toFixed(2),
  };
}

/** Feeds writes 20 sessions per loop turn (like the session buffer would), yielding between turns. */
async function feed(store: ClickHouseStore, writes: SessionWrite[]): Promise<void> {
  for (let i = 0; i < writes.length; i++) {
    while (store.write(writes[i]!).status !== 'ok') await new Promise((r) => setTimeout(r, 5));
    if (i % 20 === 19) await new Promise((r) => setImmediate(r));
  }
  await store.forceFlush();
}

const results: Result[] = [];
const dirs: string[] = [];

// Idle baseline: the loop doing nothing for a second.
results.push(await measure('idle loop (baseline)', 0, () => new Promise((r) => setTimeout(r, 1000))));

{
  const dir = mkdtempSync(join(tmpdir(), 'agt-bench-'));
  dirs.push(dir);
  const client: ClickHouseClient = createClient({ connection: createChdbConnection({ path: dir }) as unknown as Conn });
  await runMigrations({ client, database: 'agenttail', log });
  const writes = makeWrites(1);
  const spanRows = writes.reduce((a, w) => a + w.spans.length, 0);
  // Naive path baseline: the span rows as an array of objects through client.insert, 10k at a time.
  const rows = writes.flatMap((w) => w.spans.map((s) => buildSpanRow(s, w.summary.sessionId, w.decision)));
  results.push(
    await measure('embedded: insert(array of objects) spans only (baseline)', spanRows, async () => {
      for (let i = 0; i < rows.length; i += 10_000) {
        await client.insert({ table: 'agenttail.spans', values: rows.slice(i, i + 10_000), format: 'JSONEachRow' });
      }
    }),
  );
  const store = new ClickHouseStore({ client, database: 'agenttail', retry: { initialMs: 50, maxMs: 1000, maxAttempts: 5 }, log, flushIntervalMs: 200, maxConcurrentInserts: CONCURRENCY });
  results.push(await measure('embedded: ClickHouseStore (all tables)', spanRows, () => feed(store, makeWrites(2))));
  await store.shutdown();
}

{
  const dir = mkdtempSync(join(tmpdir(), 'agt-bench-http-'));
  dirs.push(dir);
  const ch = await startClickHouseHttp({ path: dir, username: 'bench', password: 'b' });
  const client = createClient({ url: ch.url, username: 'bench', password: 'b', compression: { request: true, response: true } });
  await runMigrations({ client, database: 'agenttail', log });
  const writes = makeWrites(3);
  const spanRows = writes.reduce((a, w) => a + w.spans.length, 0);
  const store = new ClickHouseStore({ client, database: 'agenttail', retry: { initialMs: 50, maxMs: 1000, maxAttempts: 5 }, log, flushIntervalMs: 200, maxConcurrentInserts: CONCURRENCY });
  // The HTTP endpoint runs in this process, so its chDB work shows in the loop delay too.
  results.push(await measure('http (in-process test endpoint, gzip): ClickHouseStore', spanRows, () => feed(store, writes)));
  await store.shutdown();
  await ch.close();
}

for (const d of dirs) rmSync(d, { recursive: true, force: true });

const table = new Table({ head: ['case', 'span rows', 's', 'span rows/s', 'loop p50 ms', 'loop p99 ms', 'loop max ms'] });
for (const r of results) table.push([r.case, r.spanRows, r.seconds, r.spanRowsPerS, r.loopP50Ms, r.loopP99Ms, r.loopMaxMs]);
console.log(`sessions=${sessions} (each: 1 aggregate + 1..6 call spans, plus session/lookup/rollup rows)`);
console.log(table.toString());
console.log(JSON.stringify({ bench: 'store', sessions, results }));
