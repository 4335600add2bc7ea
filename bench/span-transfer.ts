/**
 * What the main thread pays for a decode worker's result (issue 31): µs per span of
 *   (a) inline: decode + normalize + price on the main thread (RequestDecoder.decode through the lean attribute filter,
 *       then RequestDecoder.normalize, as `serve` does by default) — the baseline;
 *   (b) encodeTransferredSpans of (a)'s result: the worker's extra work;
 *   (c) decodeTransferredSpans of (b)'s buffer: all the main thread still pays (besides postMessage itself).
 * and c/a (goal ≤ 0.25), on the main thread's own CPU time (the machine is shared: wall time counts the turns of
 * other processes) and on wall time; each ratio is the median of the rounds' ratios. Traffic: the e2e bench's requests
 * (bench/e2e/requests.ts, 512-span requests, fresh sessions each round). Rounds alternate the three paths; each row is
 * the path's median round, with the main-thread GC pauses in it. While a path runs it keeps its last `held` results
 * alive: by default the whole round (every object promoted, as if the buffer kept every span object it is handed);
 * `1`: each result dies young, as when the buffer packs spans into its columns at once (src/sessions/span-pack.ts).
 * Run: node --expose-gc --import tsx bench/span-transfer.ts [requests] [rounds] [held]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import type { AttrFilter } from '../src/otlp/proto-attributes.js';
import { decodeTransferredSpans, encodeTransferredSpans, type TransferredSpans } from '../src/receive/span-transfer.js';
import { buildPool, stamp } from './e2e/requests.js';
import { CountingStore } from './support/counting-store.js';
import { GcPauses } from './support/gc-pauses.js';
import { ingestPipeline } from './support/ingest-pipeline.js';

const REQUESTS = Number(process.argv[2] ?? 64);
const ROUNDS = Number(process.argv[3] ?? 7);
/** Requests whose results stay alive while the path runs: all of the round by default (a buffer keeps what it is handed). */
const HELD = Number(process.argv[4] ?? REQUESTS);
const templates = buildPool({ pairs: 8, spansPerRequest: 512, seed: 7 }).flatMap((p) => [p.a, p.b]);
const { decoder, auth, leanFilter } = ingestPipeline({ store: new CountingStore() });
const principal = auth.authenticate({});
if (principal.status !== 'ok') throw new Error('bench: open auth refused');
const tenant = principal.value;
const collect = (globalThis as { gc?: () => void }).gc;
let nonce = 1;

/** What a worker would do for one request: decode through the filter, normalize and price. */
function inline(body: Buffer, filter: AttrFilter): TransferredSpans {
  const d = decoder.decode(body, 'protobuf', Date.now(), filter);
  if (d.status !== 'ok') throw new Error('bench: request does not decode');
  const received = d.value.spans.length + d.value.rejected.length;
  const n = decoder.normalize(d.value, tenant);
  if (n.status !== 'ok') throw new Error('bench: request does not normalize');
  return { spans: n.value, rejected: d.value.rejected, received, ...(d.value.truncatedStrings === undefined ? {} : { truncatedStrings: d.value.truncatedStrings }) };
}

interface Sample {
  /** main-thread CPU */
  us: number;
  wallUs: number;
  gcUs: number;
}

/** Main-thread GC pauses. */
const gcPauses = new GcPauses();

/**
 * The main thread's own CPU time in ms (Linux: /proc/thread-self/schedstat, ns on the CPU), so neither the other
 * processes of a shared machine nor V8's helper threads count; elsewhere the wall clock.
 */
function mainThreadMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return performance.now();
  }
}

/** What the path being measured keeps alive: its last HELD results. Emptied before each measurement. */
const held: unknown[] = [];

/** µs per span of `fn` over `inputs`: main-thread CPU, wall, and the main-thread GC pauses within. */
async function time<I, O>(inputs: I[], fn: (x: I) => O, spans: number): Promise<Sample> {
  held.length = 0;
  collect?.();
  await new Promise((r) => setTimeout(r, 20));
  gcPauses.clear();
  const cpu0 = mainThreadMs();
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i++) held[i % HELD] = fn(inputs[i]!);
  const t1 = performance.now();
  const cpuMs = mainThreadMs() - cpu0;
  const gcMs = await gcPauses.within(t0, t1, 20);
  return { us: (cpuMs * 1000) / spans, wallUs: ((t1 - t0) * 1000) / spans, gcUs: (gcMs * 1000) / spans };
}

const samples: { a: Sample; b: Sample; c: Sample }[] = [];
let bytesPerSpan = 0;
for (let round = -1; round < ROUNDS; round++) {
  const bodies = Array.from({ length: REQUESTS }, (_, i) => stamp(templates[i % templates.length]!, nonce++));
  // The inputs of (b) and (c), made outside their measurement.
  let results: TransferredSpans[] | null = bodies.map((b) => inline(b, leanFilter));
  const spans = results.reduce((n, r) => n + r.spans.length, 0);
  const buffers = results.map(encodeTransferredSpans);
  const b = await time(results, encodeTransferredSpans, spans);
  results = null;
  const c = await time(buffers, decodeTransferredSpans, spans);
  const a = await time(bodies, (b) => inline(b, leanFilter), spans);
  bytesPerSpan = buffers.reduce((n, x) => n + x.byteLength, 0) / spans;
  if (round >= 0) samples.push({ a, b, c }); // round -1 warms up
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const path = (k: 'a' | 'b' | 'c'): Sample => ({ us: median(samples.map((s) => s[k].us)), wallUs: median(samples.map((s) => s[k].wallUs)), gcUs: median(samples.map((s) => s[k].gcUs)) });
const row = { a: path('a'), b: path('b'), c: path('c') };
const ratio = median(samples.map((s) => s.c.us / s.a.us));
const ratioWall = median(samples.map((s) => s.c.wallUs / s.a.wallUs));
const table = new Table({ head: [`${REQUESTS} × 512-span requests, ${HELD} held, median of ${ROUNDS} rounds`, 'main-thread CPU µs/span', 'wall µs/span', 'GC pauses (wall) µs/span', 'vs (a)'] });
const cells = (r: Sample) => [r.us.toFixed(3), r.wallUs.toFixed(3), r.gcUs.toFixed(3)];
table.push(['(a) inline decode (lean filter) + normalize + price', ...cells(row.a), '1.00×']);
table.push(['(b) encodeTransferredSpans (worker side)', ...cells(row.b), `CPU ${(row.b.us / row.a.us).toFixed(2)}×`]);
table.push(['(c) decodeTransferredSpans (main side)', ...cells(row.c), `CPU ${ratio.toFixed(3)}× (goal ≤ 0.25), wall ${ratioWall.toFixed(3)}×`]);
console.log(table.toString());
console.log(`buffer: ${bytesPerSpan.toFixed(0)} B per span; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(JSON.stringify({ bench: 'span-transfer', node: process.version, requests: REQUESTS, rounds: ROUNDS, held: HELD, usPerSpan: row, cOverA: ratio, cOverAWall: ratioWall, bytesPerSpan: Math.round(bytesPerSpan), loadavg: loadavg() }));
