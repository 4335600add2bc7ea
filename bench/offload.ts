/**
 * Would a decode worker free the main thread? Measures the MAIN thread's busy time per span (event-loop
 * utilization × wall time) for the e2e traffic (bench/e2e/requests.ts, 500-span requests) when
 *   - inline: the main thread decodes, normalizes and prices each request itself (today's receive stage);
 *   - worker: a worker thread does that and posts the normalized spans back (postMessage = structured clone):
 *     the main thread pays for receiving them;
 *   - worker, light: the same without attributes, events and links (a buffer that re-decodes kept sessions'
 *     spans from the request bytes would need only this for decisions).
 * Baseline in the same run: inline. The main thread holds on to each request's spans until the next round, like the
 * session buffer does, so the heap it works against is realistic.
 * Run: node --expose-gc --import tsx bench/offload.ts [requests] [rounds]
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import Table from 'cli-table3';
import { Normalizer } from '../src/conventions/normalize.js';
import type { NormalizedSpan } from '../src/model/span.js';
import { decodeExportRequest } from '../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS } from '../src/otlp/types.js';
import { Pricer } from '../src/pricing/pricer.js';
import { buildPool, stamp } from './e2e/requests.js';

const REQUESTS = Number(process.argv[2] ?? 300);
const IN_FLIGHT = 4;
const pool = buildPool({ pairs: 16, spansPerRequest: 500, seed: 7 });
const templates = pool.flatMap((p) => [p.a, p.b]);
const collect = (globalThis as { gc?: () => void }).gc;
const normalizer = new Normalizer();
const pricer = new Pricer();
let nonce = 1;
const nextBody = (i: number): Buffer => stamp(templates[i % templates.length]!, nonce++);

/** Spans held as the buffer would (the last few requests' worth). */
const held: NormalizedSpan[][] = [];
function hold(spans: NormalizedSpan[]): void {
  held.push(spans);
  if (held.length > 64) held.shift();
}

interface Result {
  path: string;
  spans: number;
  wallMs: number;
  mainBusyMs: number;
}

async function inline(): Promise<Result> {
  collect?.();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let spans = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const out: NormalizedSpan[] = [];
    for (const s of decodeExportRequest(nextBody(i), DEFAULT_DECODE_LIMITS, Date.now()).spans) {
      const n = normalizer.normalize(s, 'default');
      n.cost = pricer.price(n);
      out.push(n);
    }
    spans += out.length;
    hold(out);
    // Yield like a server between requests, so event-loop utilization means the same in both paths.
    await new Promise<void>((r) => setImmediate(r));
  }
  const wallMs = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  return { path: 'inline: decode + normalize + price on the main thread', spans, wallMs, mainBusyMs: elu.active };
}

async function viaWorker(light: boolean): Promise<Result> {
  const worker = new Worker(new URL('./offload/worker-entry.mjs', import.meta.url));
  // Warm the worker (JIT) before measuring.
  await roundTrips(worker, light, 20);
  collect?.();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const spans = await roundTrips(worker, light, REQUESTS);
  const wallMs = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  await worker.terminate();
  return { path: light ? 'worker, light spans (no attributes/events/links)' : 'worker: spans posted back in full', spans, wallMs, mainBusyMs: elu.active };
}

/** `n` requests through the worker with IN_FLIGHT outstanding; the main thread stamps bodies and keeps the spans. */
function roundTrips(worker: Worker, light: boolean, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    let spans = 0;
    const send = (): void => {
      const body = nextBody(sent);
      worker.postMessage({ id: sent++, body, light });
    };
    worker.on('error', reject);
    const onMessage = (m: { spans: NormalizedSpan[] }): void => {
      spans += m.spans.length;
      hold(m.spans);
      if (++done === n) {
        worker.off('message', onMessage);
        resolve(spans);
      } else if (sent < n) send();
    };
    worker.on('message', onMessage);
    for (let i = 0; i < Math.min(IN_FLIGHT, n); i++) send();
  });
}

// Warm-up of the inline path, then each path ROUNDS times, alternating (the median per path counts).
const ROUNDS = Number(process.argv[3] ?? 3);
await inline();
const runs: Result[][] = [[], [], []];
for (let round = 0; round < ROUNDS; round++) {
  runs[0]!.push(await inline());
  runs[1]!.push(await viaWorker(false));
  runs[2]!.push(await viaWorker(true));
}
const perSpan = (r: Result): number => r.mainBusyMs / r.spans;
const best = runs.map((rs) => [...rs].sort((a, b) => perSpan(a) - perSpan(b))[Math.floor(rs.length / 2)]!);
const base = perSpan(best[0]!);
const table = new Table({ head: [`${REQUESTS} requests, ${IN_FLIGHT} in flight (median of ${ROUNDS})`, 'main busy µs/span', 'vs inline', 'spans/s (wall)'] });
const rows = best.map((r) => {
  const us = (r.mainBusyMs * 1000) / r.spans;
  return { path: r.path, mainBusyUsPerSpan: us, ratioToInline: us / (base * 1000), spansPerS: Math.round(r.spans / (r.wallMs / 1000)) };
});
for (const r of rows) table.push([r.path, r.mainBusyUsPerSpan.toFixed(2), `${(r.mainBusyUsPerSpan / (base * 1000)).toFixed(2)}×`, r.spansPerS.toLocaleString('en-US')]);
console.log(table.toString());
console.log(JSON.stringify({ bench: 'offload', node: process.version, requests: REQUESTS, rows }, null, 2));
