/**
 * Where the whole-collector figure goes, layer by layer, in one process: the e2e bench's traffic
 * (bench/e2e/requests.ts: ~500-span requests, sessions split over two requests, ~10 % kept) through
 *   1. ingest: ExportHandler → SessionBuffer with the write-ahead log (fsync), no session decided during the run;
 *   2. + decisions: sessions go idle after IDLE_MS and are decided by the buffer's sweep; a store that only counts;
 *   3. + embedded store: the same with the production ClickHouseStore on chDB (rows built, batches inserted, flushed);
 *   4. whole server: `startServer` as `agenttail serve` builds it (store batches in the log, metrics registry, overload
 *      guard, receivers listening) with requests handed to its ExportHandler directly, without the gRPC transport.
 * Compare with bench/e2e.ts, which adds the gRPC transport, the rest of the server and the load generator on the
 * same two cores. Reports wall spans/s and the main thread's busy µs per span (event-loop utilization), the better
 * of two interleaved rounds. Baseline in the same run: layer 1.
 * Run: npx tsx bench/layers.ts [requests] [concurrency]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import { storeSchema } from '../src/config/store.js';
import { silentLogger } from '../src/log.js';
import { Durability } from '../src/durability/durability.js';
import { startServer } from '../src/main/lifecycle.js';
import { ClickHouseStore } from '../src/store/clickhouse-store.js';
import type { SessionStore } from '../src/model/session-store.js';
import { CountingStore } from './support/counting-store.js';
import { FreshBodies, inProcessServerConfig, sendAll, untilWritten } from './support/export-traffic.js';
import { ingestPipeline } from './support/ingest-pipeline.js';

const REQUESTS = Number(process.argv[2] ?? 240);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const log = silentLogger();
const traffic = new FreshBodies(REQUESTS);
/** e2e's collector settings that shape decisions (bench/e2e/collector.ts), with a shorter idle time. */
const SAMPLING = { baselineRate: 0.04, budget: { enabled: false } };
/**
 * Idle timeout of the deciding layers. The wall time of a deciding run ends when the last session is decided and
 * written, IDLE_MS after its last span at the earliest: that wait is the bench's own and is taken off.
 */
const IDLE_MS = 250;
const DECIDING_SESSIONS = { idleTimeoutMs: IDLE_MS, sweepIntervalMs: 50, maxBufferBytes: 8 * 1024 ** 3 };

type Layer = 'ingest' | 'decide' | 'store' | 'server';
interface Result {
  layer: Layer;
  spans: number;
  wallMs: number;
  busyMs: number;
}

async function run(layer: Layer, chStore: ClickHouseStore): Promise<Result> {
  if (layer === 'server') return runServer();
  const dir = mkdtempSync(join(tmpdir(), 'agt-layers-'));
  const journal = await Durability.open({ dir, durability: 'fsync', segmentBytes: 64 * 1024 ** 2, maxDiskBytes: 64 * 1024 ** 3, groupCommitMs: 2, retentionMs: 3_600_000, log });
  const store: SessionStore = layer === 'store' ? chStore : new CountingStore();
  const deciding = layer !== 'ingest';
  const { handler, buffer } = ingestPipeline({
    store,
    journal,
    sessions: deciding ? DECIDING_SESSIONS : { ...DECIDING_SESSIONS, idleTimeoutMs: 600_000 },
    sampling: SAMPLING,
  });
  const bodies = traffic.next();
  if (deciding) buffer.start();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const spans = await sendAll(handler, bodies, CONCURRENCY);
  // Every session decided and, with the embedded store, every row inserted.
  if (deciding) await untilWritten(buffer, store);
  const wallMs = performance.now() - t0 - (deciding ? IDLE_MS : 0);
  const busyMs = performance.eventLoopUtilization(elu0).active;
  await buffer.shutdown();
  await journal.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { layer, spans, wallMs, busyMs };
}


/** Layer 4: the server as `serve` builds it (its config as the e2e bench's collector has it, idle IDLE_MS). */
async function runServer(): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'agt-layers-srv-'));
  // chDB binds one data directory per process: the server opens the same one as layer 3.
  const config = inProcessServerConfig(dir, { store: { kind: 'embedded', path: chDir }, sessions: DECIDING_SESSIONS });
  const server = await startServer(config, log);
  const bodies = traffic.next();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const spans = await sendAll(server.collector.handler, bodies, CONCURRENCY);
  await untilWritten(server.buffer, server.store);
  const wallMs = performance.now() - t0 - IDLE_MS;
  const busyMs = performance.eventLoopUtilization(elu0).active;
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { layer: 'server', spans, wallMs, busyMs };
}

const chDir = mkdtempSync(join(tmpdir(), 'agt-layers-ch-'));
const chStore = await ClickHouseStore.open({ config: storeSchema.parse({ kind: 'embedded', path: chDir }), log });
try {
  await run('decide', chStore); // warm-up
  const best = new Map<Layer, Result>();
  for (let round = 0; round < 2; round++) {
    for (const layer of ['ingest', 'decide', 'store', 'server'] as const) {
      const r = await run(layer, chStore);
      const b = best.get(layer);
      if (b === undefined || r.spans / r.wallMs > b.spans / b.wallMs) best.set(layer, r);
    }
  }
  const base = best.get('ingest')!;
  const rate = (r: Result): number => (r.spans / r.wallMs) * 1000;
  const names: Record<Layer, string> = { ingest: '1. ingest (decode … buffer, WAL fsync)', decide: '2. + decisions (counting store)', store: '3. + embedded store (chDB)', server: '4. whole server, no transport' };
  const table = new Table({ head: [`${REQUESTS} requests, ${CONCURRENCY} in flight`, 'spans/s', 'vs layer 1', 'main busy µs/span'] });
  const rows = [...best.values()].map((r) => ({ layer: r.layer, spansPerS: Math.round(rate(r)), vsIngest: rate(r) / rate(base), busyUsPerSpan: (r.busyMs * 1000) / r.spans }));
  for (const r of rows) table.push([names[r.layer], r.spansPerS.toLocaleString('en-US'), `${r.vsIngest.toFixed(2)}×`, r.busyUsPerSpan.toFixed(1)]);
  console.log(table.toString());
  console.log(JSON.stringify({ bench: 'layers', node: process.version, requests: REQUESTS, concurrency: CONCURRENCY, rows }, null, 2));
} finally {
  await chStore.shutdown();
  rmSync(chDir, { recursive: true, force: true });
}
