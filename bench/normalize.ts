/**
 * Spans/s through the conventions stage (Normalizer.normalize) and pricing (Pricer.price) for the e2e
 * bench's agent sessions (bench/e2e/requests.ts: ~12 attributes per span, 2 KiB prompts), decoded once
 * beforehand. Baseline in the same run: one pass that reads every attribute of every span once (the
 * least any normalization must do).
 * Run: node --expose-gc --import tsx bench/normalize.ts [rounds]
 */
import Table from 'cli-table3';
import { Normalizer } from '../src/conventions/normalize.js';
import { decodeExportRequest } from '../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS, type OtlpSpan } from '../src/otlp/types.js';
import { Pricer } from '../src/pricing/pricer.js';
import { buildPool, stamp } from './e2e/requests.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const pool = buildPool({ pairs: 16, spansPerRequest: 500, seed: 7 });
const spans: OtlpSpan[] = pool.flatMap((p, i) => [p.a, p.b].flatMap((t) => decodeExportRequest(stamp(t, i + 1), DEFAULT_DECODE_LIMITS, Date.now()).spans));
const normalizer = new Normalizer();
const pricer = new Pricer();
const collect = (globalThis as { gc?: () => void }).gc;

function touchAll(): number {
  let n = 0;
  for (const s of spans) {
    const a = s.attributes;
    for (const k in a) if (a[k] !== undefined) n++;
    n += s.resource.attributes['service.name'] === undefined ? 0 : 1;
  }
  return n;
}

function normalizeAll(): number {
  let n = 0;
  for (const s of spans) {
    const x = normalizer.normalize(s, 'default');
    x.cost = pricer.price(x);
    if (x.cost.costUsd !== null) n++;
  }
  return n;
}

function time(fn: () => number): number {
  collect?.();
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// Warm-up, then rounds alternating the two (median of each).
touchAll();
normalizeAll();
const base: number[] = [];
const norm: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  base.push(time(touchAll));
  norm.push(time(normalizeAll));
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const rows = [
  { path: 'baseline: read every attribute once', ms: median(base) },
  { path: 'Normalizer.normalize + Pricer.price', ms: median(norm) },
].map((r) => ({ ...r, spansPerS: Math.round(spans.length / (r.ms / 1000)), usPerSpan: (r.ms * 1000) / spans.length }));
const table = new Table({ head: [`${spans.length} spans (median of ${ROUNDS})`, 'ms', 'spans/s', 'µs/span', 'vs baseline'], style: { head: [], border: [] } });
for (const r of rows) table.push([r.path, r.ms.toFixed(1), r.spansPerS.toLocaleString('en'), r.usPerSpan.toFixed(2), (rows[0]!.spansPerS / r.spansPerS).toFixed(1) + '× slower']);
console.log(table.toString());
console.log(JSON.stringify({ bench: 'normalize', node: process.version, spans: spans.length, rows }, null, 2));
