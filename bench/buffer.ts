/**
 * Session buffer: sessions/s and spans/s through SessionBuffer.accept + sweep + DecisionEngine.decide +
 * DecisionCache (store: an in-memory sink that only counts), and heap bytes per buffered span vs its wire bytes.
 * Traffic: real OTLP protobuf requests (test/support fixture builder) decoded by the production decoder and
 * normalized by the production Normalizer: sessions of 2 traces × 8 spans (invoke_agent root, chat calls with
 * usage, execute_tool spans), ~12 attributes per span, a 2 KiB completion on 1 span in 4; 64 sessions per request.
 * Baselines in the same run: grouping the same spans into a Map by session id (no summary, no decision); for
 * memory, the same decoded + normalized spans merely held in an array (the span representation's own cost).
 * Run: node --expose-gc --import tsx bench/buffer.ts [sessions]   (without --expose-gc the memory part is skipped)
 */
import Table from 'cli-table3';
import { sessionsSchema } from '../src/config/sessions.js';
import { samplingSchema } from '../src/config/sampling.js';
import { Normalizer } from '../src/conventions/normalize.js';
import type { NormalizedSpan } from '../src/model/span.js';
import { silentLogger } from '../src/log.js';
import { decodeExportRequest } from '../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS } from '../src/otlp/types.js';
import { DecisionCache } from '../src/sampling/decision-cache.js';
import { DecisionEngine } from '../src/sampling/engine.js';
import { SessionBuffer } from '../src/sessions/session-buffer.js';
import { buildExportRequest, type FixtureSpan } from '../test/support/otlp-fixtures.js';
import { agentTrace } from './support/agent-traffic.js';
import { CountingStore } from './support/counting-store.js';

const SESSIONS = Number(process.argv[2] ?? 20_000);
const SESSIONS_PER_REQUEST = 64;
const TRACES_PER_SESSION = 2;
const SPANS_PER_TRACE = 8;
const NOW_MS = Date.now();
const collect = (globalThis as { gc?: () => void }).gc;

function sessionSpans(n: number): FixtureSpan[] {
  const out: FixtureSpan[] = [];
  for (let t = 0; t < TRACES_PER_SESSION; t++) out.push(...agentTrace(n, SPANS_PER_TRACE, NOW_MS));
  return out;
}

/** Decoded + normalized requests, each holding SESSIONS_PER_REQUEST whole sessions. */
function makeRequests(sessions: number, first: number): NormalizedSpan[][] {
  const normalizer = new Normalizer();
  const out: NormalizedSpan[][] = [];
  for (let s = 0; s < sessions; s += SESSIONS_PER_REQUEST) {
    const specs: FixtureSpan[] = [];
    for (let k = s; k < Math.min(sessions, s + SESSIONS_PER_REQUEST); k++) specs.push(...sessionSpans(first + k));
    const bytes = buildExportRequest(specs, { 'service.name': 'support-agent', 'telemetry.sdk.language': 'python' }, { nowMs: NOW_MS });
    const decoded = decodeExportRequest(bytes, DEFAULT_DECODE_LIMITS, NOW_MS);
    out.push(decoded.spans.map((x) => normalizer.normalize(x, 'bench')));
  }
  return out;
}

function makeBuffer(clock: { ms: number }, maxBufferBytes: number) {
  const now = (): number => clock.ms;
  const engine = new DecisionEngine({ config: samplingSchema.parse({}), now });
  const cache = new DecisionCache({ ttlMs: 30 * 60_000, maxEntries: 1_000_000, now });
  const store = new CountingStore();
  const config = sessionsSchema.parse({ idleTimeoutMs: 5_000, maxBufferBytes });
  return { buffer: new SessionBuffer({ config, engine, cache, store, log: silentLogger(), now }), store };
}

async function throughput(requests: NormalizedSpan[][], spans: number) {
  const clock = { ms: NOW_MS };
  const { buffer, store } = makeBuffer(clock, 4 * 1024 * 1024 * 1024);
  const t0 = performance.now();
  for (const req of requests) {
    const out = await buffer.accept(req);
    if (out.status !== 'ok') throw new Error('bench: refused');
    clock.ms += 50;
    buffer.sweep();
  }
  clock.ms += 10_000;
  buffer.sweep();
  const ms = performance.now() - t0;
  if (store.spans !== spans) throw new Error(`bench: ${store.spans} of ${spans} spans written`);
  return { ms, sessions: store.writes };
}

function baseline(requests: NormalizedSpan[][]) {
  const t0 = performance.now();
  const groups = new Map<string, NormalizedSpan[]>();
  for (const req of requests) for (const s of req) {
    const k = `${s.tenantId}\u0000${s.sessionId ?? s.traceId}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [s]);
    else g.push(s);
  }
  return { ms: performance.now() - t0, sessions: groups.size };
}

/** Heap bytes per span when the same normalized spans are merely held in an array (the representation's floor). */
function arrayMemory(sessions: number): number | null {
  if (collect === undefined) return null;
  const held: NormalizedSpan[][] = [];
  collect();
  const before = process.memoryUsage().heapUsed;
  let spans = 0;
  for (let s = 0; s < sessions; s += 1024) {
    for (const req of makeRequests(Math.min(1024, sessions - s), 2_000_000 + s)) {
      held.push(req);
      spans += req.length;
    }
    collect();
  }
  collect();
  const perSpan = (process.memoryUsage().heapUsed - before) / spans;
  held.length = 0;
  return perSpan;
}

async function memory(sessions: number) {
  if (collect === undefined) return null;
  const arrayPerSpan = arrayMemory(sessions);
  const clock = { ms: NOW_MS };
  const { buffer } = makeBuffer(clock, 8 * 1024 * 1024 * 1024);
  collect();
  const before = process.memoryUsage().heapUsed;
  let wire = 0;
  let spans = 0;
  // In chunks, so decoding garbage is collected and only what the buffer holds remains.
  for (let s = 0; s < sessions; s += 1024) {
    for (const req of makeRequests(Math.min(1024, sessions - s), 1_000_000 + s)) {
      for (const x of req) wire += x.wireBytes;
      spans += req.length;
      await buffer.accept(req);
    }
    collect();
  }
  collect();
  const after = process.memoryUsage().heapUsed;
  const stats = buffer.stats();
  if (stats.bufferedSpans !== spans) throw new Error('bench: not all spans buffered');
  const heapPerSpan = (after - before) / spans;
  const wirePerSpan = wire / spans;
  return { spans, wirePerSpan, arrayPerSpan, heapPerSpan, ratio: heapPerSpan / wirePerSpan, accountedPerSpan: stats.bufferedBytes / spans, accountedOverHeap: stats.bufferedBytes / (after - before) };
}

const requests = makeRequests(SESSIONS, 0);
const spans = requests.reduce((a, r) => a + r.length, 0);
const base = baseline(requests);
await throughput(requests.slice(0, 20), requests.slice(0, 20).reduce((a, r) => a + r.length, 0)); // warm-up
const run = await throughput(requests, spans);
const mem = await memory(Math.min(SESSIONS, 8_192));

const table = new Table({ head: ['path', 'sessions', 'spans', 'ms', 'sessions/s', 'spans/s'] });
table.push(['baseline: Map group-by', base.sessions, spans, base.ms.toFixed(1), Math.round(base.sessions / (base.ms / 1000)), Math.round(spans / (base.ms / 1000))]);
table.push(['SessionBuffer + engine + cache', run.sessions, spans, run.ms.toFixed(1), Math.round(run.sessions / (run.ms / 1000)), Math.round(spans / (run.ms / 1000))]);
console.log(table.toString());
if (mem !== null) {
  const m = new Table({ head: ['buffered spans', 'wire B/span', 'baseline: array heap B/span', 'buffer heap B/span', 'heap/wire', 'accounted B/span', 'accounted/heap'] });
  m.push([mem.spans, mem.wirePerSpan.toFixed(0), (mem.arrayPerSpan ?? 0).toFixed(0), mem.heapPerSpan.toFixed(0), mem.ratio.toFixed(2), mem.accountedPerSpan.toFixed(0), mem.accountedOverHeap.toFixed(2)]);
  console.log(m.toString());
} else {
  console.log('memory: run with node --expose-gc --import tsx bench/buffer.ts to measure heap per span');
}
console.log(JSON.stringify({ sessions: run.sessions, spans, bufferMs: run.ms, sessionsPerS: run.sessions / (run.ms / 1000), spansPerS: spans / (run.ms / 1000), baselineMs: base.ms, memory: mem }));
