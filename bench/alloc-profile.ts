/**
 * Where the main thread allocates, per span: the whole server as `serve` builds it (bench/layers.ts layer 4: the
 * e2e bench's traffic handed to its ExportHandler, sessions decided, kept rows inserted into the embedded store),
 * under V8's sampling heap profiler with objects the young and old collections freed counted too, so the figure is
 * what was allocated (what the collector has to sweep), not what stayed live. Bytes are charged to the allocating
 * function and to the nearest frame on its stack that belongs to a known stage (bench/cpuprofile-top.ts's stages).
 * Sampling: one sample per `interval` bytes on average; the totals are estimates, good to a few per cent at these
 * volumes. Baseline in the same run: the bytes on the wire.
 * `promoted`: only what survived the young generation (promoted to old space: live at the end, or freed by an
 * old-generation collection), by the function that allocated it: the objects the scavenger copied.
 * `live`: instead, what is still held when the last request has been answered, before any of its sessions is decided
 * (what outlives young-generation collections: the buffered sessions, caches, queues), by the function that
 * allocated it.
 * Run: npx tsx bench/alloc-profile.ts [requests=160] [top=25] [interval=4096] [all|promoted|live]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { silentLogger } from '../src/log.js';
import { startServer } from '../src/main/lifecycle.js';
import { stageOf } from './cpuprofile-top.js';
import { FreshBodies, inProcessServerConfig, sendAll, untilWritten } from './support/export-traffic.js';

const REQUESTS = Number(process.argv[2] ?? 160);
const TOP = Number(process.argv[3] ?? 25);
const INTERVAL = Number(process.argv[4] ?? 4096);
const MODE = (process.argv[5] ?? 'all') as 'all' | 'promoted' | 'live';
if (!['all', 'promoted', 'live'].includes(MODE)) throw new Error(`alloc-profile: mode ${MODE} is not all, promoted or live`);
const CONCURRENCY = 16;
const IDLE_MS = 250;

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Per function (self) and per stage (nearest known frame), bytes. */
function summarize(head: SamplingNode): { byFn: Map<string, number>; byStage: Map<string, number>; total: number } {
  const byFn = new Map<string, number>();
  const byStage = new Map<string, number>();
  let total = 0;
  const where = (f: SamplingNode['callFrame']): string => (f.url === '' ? '(native)' : `${f.url.replace(/^.*\/((?:dist|src|bench|node_modules)\/)/, '$1')}:${f.lineNumber + 1}`);
  const walk = (n: SamplingNode, stage: string | null, caller: SamplingNode | null): void => {
    const f = n.callFrame;
    const own = stageOf(f.url, f.functionName);
    const here = own !== null && own !== 'idle' && !own.startsWith('program') ? own : stage;
    if (n.selfSize > 0) {
      // A builtin (Array.prototype.push, Map, JSON.stringify...) is named with the function that called it.
      const by = f.url === '' && caller !== null ? ` ← ${caller.callFrame.functionName || '(anonymous)'} ${where(caller.callFrame)}` : '';
      const key = `${f.functionName || '(anonymous)'}  ${where(f)}${by}`;
      byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
      const s = here ?? 'other (node internals, native)';
      byStage.set(s, (byStage.get(s) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c, here, n);
  };
  walk(head, null, null);
  return { byFn, byStage, total };
}

const log = silentLogger();
const dir = mkdtempSync(join(tmpdir(), 'agt-alloc-'));
const config = inProcessServerConfig(dir, { sessions: { idleTimeoutMs: IDLE_MS, sweepIntervalMs: 50, maxBufferBytes: 8 * 1024 ** 3 } });
const server = await startServer(config, log);
const traffic = new FreshBodies(REQUESTS);
const session = new Session();
session.connect();
try {
  // Warm-up: the hot functions optimized, the caches filled, before the counted round.
  await sendAll(server.collector.handler, traffic.next(), CONCURRENCY);
  await untilWritten(server.buffer, server.store);

  const bodies = traffic.next();
  const wireBytes = bodies.reduce((n, b) => n + b.length, 0);
  await session.post('HeapProfiler.startSampling', { samplingInterval: INTERVAL, includeObjectsCollectedByMajorGC: MODE !== 'live', includeObjectsCollectedByMinorGC: MODE === 'all' });
  const spans = await sendAll(server.collector.handler, bodies, CONCURRENCY);
  // `live` stops sampling at the last answer, the others once every session is decided and written.
  if (MODE !== 'live') await untilWritten(server.buffer, server.store);
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
  if (MODE === 'live') await untilWritten(server.buffer, server.store);
  const { byFn, byStage, total } = summarize(profile.head);

  const perSpan = (b: number): string => Math.round(b / spans).toLocaleString('en-US');
  const stages = new Table({ head: [`${spans.toLocaleString('en-US')} spans: stage`, 'B per span', 'share'] });
  for (const [s, b] of [...byStage].sort((x, y) => y[1] - x[1])) stages.push([s, perSpan(b), `${((b / total) * 100).toFixed(1)}%`]);
  const fns = new Table({ head: ['function (self)', 'B per span', 'share'] });
  for (const [f, b] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, TOP)) fns.push([f, perSpan(b), `${((b / total) * 100).toFixed(1)}%`]);
  console.log(`${{ all: 'allocated on the main thread', promoted: 'promoted to the old generation', live: 'still held after the last answer' }[MODE]}: ${perSpan(total)} B per span (${(total / wireBytes).toFixed(2)}× the ${perSpan(wireBytes)} wire bytes per span)`);
  console.log(stages.toString());
  console.log(fns.toString());
  console.log(JSON.stringify({ bench: 'alloc-profile', node: process.version, mode: MODE, requests: REQUESTS, spans, wireBytesPerSpan: wireBytes / spans, allocatedBytesPerSpan: total / spans, stages: Object.fromEntries([...byStage].map(([s, b]) => [s, Math.round(b / spans)])) }));
} finally {
  session.disconnect();
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
