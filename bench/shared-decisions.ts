/**
 * What sharing decisions costs the ingest path (issue 18; target ≤ 2 % of ingest throughput). The e2e bench's traffic
 * (as bench/layers.ts layer 2: handler → buffer with the write-ahead log fsync → decisions → a counting store), with
 * shared decisions off, and on against a ClickHouse HTTP endpoint in another process (bench/shared/clickhouse-child.ts)
 * where a peer instance publishes PEER kept decisions a second: every interval this instance inserts its own kept
 * decisions and reads the peer's. Rounds alternate off / on; the better of ROUNDS each is compared (the machine is
 * shared). Then the sharing work alone in the idle process (sharingAlone), as main-thread ms per second and as a share
 * of ingest's main-thread time at the measured rate: on a loaded machine the throughput difference is mostly noise.
 * Also reports the sharing queries per second against ClickHouse.
 * Run: npx tsx bench/shared-decisions.ts [requests] [rounds] [peerRowsPerS]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { createClient } from '@clickhouse/client';
import Table from 'cli-table3';
import { Registry } from 'prom-client';
import { sharedSchema } from '../src/config/shared.js';
import { silentLogger } from '../src/log.js';
import { DecisionSharing } from '../src/shared/decision-sharing.js';
import { DecisionsTable } from '../src/shared/decisions-table.js';
import { KeptElsewhereMap } from '../src/shared/kept-elsewhere.js';
import { SharedMetrics } from '../src/shared/shared-metrics.js';
import { SharingStore } from '../src/shared/sharing-store.js';
import { Durability } from '../src/durability/durability.js';
import { CountingStore } from './support/counting-store.js';
import { FreshBodies, sendAll } from './support/export-traffic.js';
import { ingestPipeline } from './support/ingest-pipeline.js';

const REQUESTS = Number(process.argv[2] ?? 240);
const ROUNDS = Number(process.argv[3] ?? 3);
const PEER = Number(process.argv[4] ?? 300);
const CONCURRENCY = 16;
const IDLE_MS = 250;
const SESSIONS = { idleTimeoutMs: IDLE_MS, sweepIntervalMs: 50, maxBufferBytes: 8 * 1024 ** 3 };
const SAMPLING = { baselineRate: 0.04, budget: { enabled: false } };
const log = silentLogger();
const traffic = new FreshBodies(REQUESTS);

interface Result {
  sharing: boolean;
  spans: number;
  wallMs: number;
  busyMs: number;
  queries: number;
  published: number;
  read: number;
}

async function run(sharing: boolean, url: string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'agt-share-bench-'));
  const journal = await Durability.open({ dir, durability: 'fsync', segmentBytes: 64 * 1024 ** 2, maxDiskBytes: 64 * 1024 ** 3, groupCommitMs: 2, retentionMs: 3_600_000, log });
  const registry = new Registry();
  const metrics = new SharedMetrics(registry);
  const counting = new CountingStore();
  const client = createClient({ url, username: 'bench', password: 'bench' });
  const total = async (name: string): Promise<number> => ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const kept = new KeptElsewhereMap({ maxEntries: 200_000, ttlMs: 600_000, onFollowed: () => metrics.followed.inc() });
  const shared = new DecisionSharing({ config: sharedSchema.parse({}).decisions, table: new DecisionsTable({ client, database: 'agenttail', instanceId: 'bench' }), kept, metrics, log });
  const store = sharing ? new SharingStore(counting, (t, s, d) => shared.offer(t, s, d)) : counting;
  const { handler, buffer } = ingestPipeline({ store, journal, sessions: SESSIONS, sampling: SAMPLING, ...(sharing ? { keptElsewhere: kept } : {}) });
  if (sharing) {
    // Catch up with the peer's backlog before timing: the steady state is measured, not the start.
    await shared.start(buffer);
    const fresh = async (): Promise<number> => (await total('agenttail_shared_decisions_read_total')) - (await registry.getSingleMetric('agenttail_shared_decisions_read_total')!.get()).values.filter((v) => v.labels.outcome === 'repeat').reduce((a, v) => a + v.value, 0);
    for (let i = 0, before = -1; i < 50; i++) {
      before = await fresh();
      await shared.tick();
      // Caught up once a tick reads no more than the peer writes in a couple of seconds.
      if ((await fresh()) - before < 2 * PEER) break;
    }
  }
  const queries0 = await total('agenttail_shared_decisions_queries_total');
  const read0 = await total('agenttail_shared_decisions_read_total');
  const bodies = traffic.next();
  buffer.start();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const spans = await sendAll(handler, bodies, CONCURRENCY);
  while (buffer.stats().openSessions > 0) await new Promise((r) => setTimeout(r, 10));
  const wallMs = performance.now() - t0 - IDLE_MS;
  const busyMs = performance.eventLoopUtilization(elu0).active;
  await buffer.shutdown();
  if (sharing) await shared.close();
  const result = { sharing, spans, wallMs, busyMs, queries: (await total('agenttail_shared_decisions_queries_total')) - queries0, published: await total('agenttail_shared_decisions_published_total'), read: (await total('agenttail_shared_decisions_read_total')) - read0 };
  await client.close();
  await journal.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return result;
}


/**
 * The sharing work alone, in an otherwise idle process: DecisionSharing ticking against the endpoint for `seconds`,
 * this instance offering OWN kept decisions a second while the peer publishes PEER. Main-thread busy ms per second
 * (event-loop utilization), and queries per second: what sharing costs whatever the ingest rate, and what a throughput
 * difference on a loaded machine cannot resolve.
 */
async function sharingAlone(url: string, seconds: number, own: number): Promise<{ busyMsPerS: number; queriesPerS: number; readPerS: number }> {
  const registry = new Registry();
  const metrics = new SharedMetrics(registry);
  const client = createClient({ url, username: 'bench', password: 'bench' });
  const kept = new KeptElsewhereMap({ maxEntries: 200_000, ttlMs: 600_000, onFollowed: () => metrics.followed.inc() });
  const shared = new DecisionSharing({ config: sharedSchema.parse({}).decisions, table: new DecisionsTable({ client, database: 'agenttail', instanceId: 'alone' }), kept, metrics, log });
  await shared.start({ followKept: () => 'held' });
  for (let i = 0; i < 5; i++) await shared.tick(); // the backlog
  const total = async (name: string): Promise<number> => ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const q0 = await total('agenttail_shared_decisions_queries_total');
  const r0 = await total('agenttail_shared_decisions_read_total');
  let n = 0;
  const offering = setInterval(() => {
    for (let i = 0; i < own / 10; i++) {
      shared.offer('default', `own-${n++}`, { kept: true, reasons: ['error'], sampleWeight: 1, trigger: 'idle', decidedAtMs: Date.now() });
      kept.weightOf('default', `own-${n}`);
    }
  }, 100);
  const elu0 = performance.eventLoopUtilization();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const busyMs = performance.eventLoopUtilization(elu0).active;
  clearInterval(offering);
  const out = { busyMsPerS: busyMs / seconds, queriesPerS: ((await total('agenttail_shared_decisions_queries_total')) - q0) / seconds, readPerS: ((await total('agenttail_shared_decisions_read_total')) - r0) / seconds };
  await shared.close();
  await client.close();
  return out;
}

const chDir = mkdtempSync(join(tmpdir(), 'agt-share-ch-'));
const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'shared', 'clickhouse-child.ts'), chDir, String(PEER)], { stdio: ['pipe', 'pipe', 'inherit'] });
try {
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`clickhouse child exited (${code})`)));
  });
  const { url } = JSON.parse(first) as { url: string };
  await run(false, url); // warm-up
  const best = new Map<boolean, Result>();
  const all: { sharing: boolean; spansPerS: number; busyUsPerSpan: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const sharing of round % 2 === 0 ? [false, true] : [true, false]) {
      const r = await run(sharing, url);
      all.push({ sharing, spansPerS: Math.round((r.spans / r.wallMs) * 1000), busyUsPerSpan: Number(((r.busyMs * 1000) / r.spans).toFixed(2)) });
      const b = best.get(sharing);
      if (b === undefined || r.spans / r.wallMs > b.spans / b.wallMs) best.set(sharing, r);
    }
  }
  const off = best.get(false)!;
  const on = best.get(true)!;
  const rate = (r: Result): number => (r.spans / r.wallMs) * 1000;
  const table = new Table({ head: [`${REQUESTS} requests, peer ${PEER} kept/s`, 'spans/s', 'vs off', 'main busy µs/span', 'sharing queries/s', 'published', 'read'] });
  for (const r of [off, on]) {
    table.push([r.sharing ? 'shared decisions on' : 'off', Math.round(rate(r)).toLocaleString('en-US'), `${(rate(r) / rate(off)).toFixed(3)}×`, ((r.busyMs * 1000) / r.spans).toFixed(2), ((r.queries * 1000) / (r.wallMs + IDLE_MS)).toFixed(2), r.published, r.read]);
  }
  console.log(table.toString());
  const alone = await sharingAlone(url, 10, 100);
  const offBusyUsPerSpan = (off.busyMs * 1000) / off.spans;
  // At the off round's rate, the share of the main thread sharing would take per second of ingest.
  const aloneShare = alone.busyMsPerS / 1000 / ((rate(off) * offBusyUsPerSpan) / 1e6);
  console.log(`sharing alone (own 100 kept/s, peer ${PEER} kept/s): ${alone.busyMsPerS.toFixed(2)} ms main-thread busy per s, ${alone.queriesPerS.toFixed(2)} queries/s, ${alone.readPerS.toFixed(0)} rows read/s; at the off rate that is ${(aloneShare * 100).toFixed(2)} % of ingest's main-thread time`);
  console.log(JSON.stringify({ bench: 'shared-decisions', alone, aloneShare, requests: REQUESTS, rounds: ROUNDS, peerRowsPerS: PEER, overhead: 1 - rate(on) / rate(off), busyRatio: on.busyMs / on.spans / (off.busyMs / off.spans), roundResults: all, off, on }));
} finally {
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
  rmSync(chDir, { recursive: true, force: true });
}
