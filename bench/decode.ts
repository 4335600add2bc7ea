/**
 * Spans/s decoding realistic 512-span ExportTraceServiceRequests (~12 attributes per span, gen_ai names,
 * a 2 KiB prompt/completion string on 1 span in 4, an event on 1 in 8, 8 traces mixed per request).
 * Baseline in the same run: protobufjs over the same message descriptor (raw decode, and decode plus
 * conversion to OtlpSpan, which is the work the production decoder does). Also OTLP/JSON of the same spans, and the
 * production decoder through the attribute filter arrivals use when spans are held lean (the default:
 * src/receive/span-attr-filter.ts), which builds only the attributes normalization and decisions read.
 * Run: npx tsx bench/decode.ts [requests]   (steadier: node --expose-gc --import tsx bench/decode.ts [requests],
 * which collects the previous decoder's garbage before each run so no decoder pays for another's)
 */
import Table from 'cli-table3';
import { decodeExportRequest } from '../src/otlp/decode-protobuf.js';
import { decodeExportRequestJson } from '../src/otlp/decode-json.js';
import { DEFAULT_DECODE_LIMITS } from '../src/otlp/types.js';
import { protectedKeys } from '../src/config/protected-keys.js';
import { SpanAttrFilter } from '../src/receive/span-attr-filter.js';
import { PROVIDER_URL_KEYS } from '../src/sampling/detectors/stalled.js';
import { buildExportRequest, buildExportRequestJson, type FixtureSpan } from '../test/support/otlp-fixtures.js';
import { decodeRawWithProtobufjs, decodeWithProtobufjs } from '../test/support/otlp-protobufjs.js';

const REQUESTS = Number(process.argv[2] ?? 400);
const SPANS_PER_REQUEST = 512;
const NOW_MS = Date.now();

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (next: () => number, bytes: number) => Array.from({ length: bytes }, () => Math.floor(next() * 256).toString(16).padStart(2, '0')).join('');
const LONG_TEXT = 'The assistant considered the request carefully and then answered with details. '.repeat(26).slice(0, 2048);

function makeRequest(seed: number): FixtureSpan[] {
  const next = mulberry32(seed);
  const traces = Array.from({ length: 8 }, () => hex(next, 16));
  const startNs = BigInt(NOW_MS - 60_000) * 1_000_000n;
  return Array.from({ length: SPANS_PER_REQUEST }, (_, i): FixtureSpan => {
    const llm = i % 3 !== 0;
    const start = startNs + BigInt(i) * 1_000_000n;
    return {
      traceId: traces[i % traces.length]!,
      spanId: hex(next, 8),
      parentSpanId: i % 16 === 0 ? undefined : hex(next, 8),
      name: llm ? 'chat gpt-4o-mini' : 'execute_tool search_kb',
      kind: llm ? 3 : 1,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(Math.floor(next() * 2e9)),
      attributes: {
        'gen_ai.operation.name': llm ? 'chat' : 'execute_tool',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': Math.floor(next() * 5000),
        'gen_ai.usage.output_tokens': Math.floor(next() * 800),
        'gen_ai.request.temperature': 0.7,
        'gen_ai.response.finish_reasons': ['stop'],
        'session.id': `sess-${Math.floor(next() * 1000)}`,
        'user.id': `user-${Math.floor(next() * 100)}`,
        'gen_ai.conversation.id': `conv-${i % 8}`,
        ...(i % 4 === 0 ? { 'gen_ai.completion': LONG_TEXT } : { 'http.status_code': 200 }),
      },
      events: i % 8 === 0 ? [{ name: 'gen_ai.choice', attributes: { index: 0, finish_reason: 'stop' } }] : [],
      status: { code: next() < 0.03 ? 2 : 0 },
    };
  });
}

const SAMPLES = 8; // distinct requests, cycled
const specs = Array.from({ length: SAMPLES }, (_, i) => makeRequest(i + 1));
const resource = { 'service.name': 'support-agent', 'telemetry.sdk.language': 'python' };
const pbRequests = specs.map((s) => buildExportRequest(s, resource, { nowMs: NOW_MS }));
const jsonRequests = specs.map((s) => buildExportRequestJson(s, resource, { nowMs: NOW_MS }));

interface Row {
  decoder: string;
  requests: number;
  ms: number;
  spansPerS: number;
  mbPerS: number;
}

const collect = (globalThis as { gc?: () => void }).gc;

function run(name: string, bodies: (Uint8Array | string)[], fn: (b: Uint8Array | string) => unknown, requests: number): Row {
  collect?.();
  let sink = 0;
  for (let i = 0; i < Math.min(50, requests); i++) sink ^= fn(bodies[i % bodies.length]!) ? 1 : 0; // warm-up
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) {
    const body = bodies[i % bodies.length]!;
    bytes += typeof body === 'string' ? body.length : body.length;
    sink ^= fn(body) ? 1 : 0;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (sink === 2) console.log('unreachable');
  return { decoder: name, requests, ms: Math.round(ms), spansPerS: Math.round((requests * SPANS_PER_REQUEST) / (ms / 1000)), mbPerS: Math.round(bytes / 1e6 / (ms / 1000)) };
}

// Sanity: every decoder sees every span, none rejected.
const check = decodeExportRequest(pbRequests[0]!, DEFAULT_DECODE_LIMITS, NOW_MS);
if (check.spans.length !== SPANS_PER_REQUEST || check.rejected.length !== 0) throw new Error('bench request does not decode cleanly');
if (decodeWithProtobufjs(pbRequests[0]!).length !== SPANS_PER_REQUEST) throw new Error('protobufjs decodes a different span count');

const leanFilter = new SpanAttrFilter(protectedKeys(), new Set(PROVIDER_URL_KEYS));
const ROUNDS = 5;
const decoders: [string, (Uint8Array | string)[], (b: Uint8Array | string) => unknown, number][] = [
  ['protobufjs decode only (no OtlpSpan)', pbRequests, (b) => decodeRawWithProtobufjs(b as Uint8Array), REQUESTS],
  ['protobufjs decode + convert (reference)', pbRequests, (b) => decodeWithProtobufjs(b as Uint8Array), REQUESTS],
  ['own reader decodeExportRequest', pbRequests, (b) => decodeExportRequest(b as Uint8Array, DEFAULT_DECODE_LIMITS, NOW_MS), REQUESTS],
  ['own reader, attributes filtered (held lean)', pbRequests, (b) => decodeExportRequest(b as Uint8Array, DEFAULT_DECODE_LIMITS, NOW_MS, leanFilter), REQUESTS],
  ['OTLP/JSON decodeExportRequestJson', jsonRequests, (b) => decodeExportRequestJson(b, DEFAULT_DECODE_LIMITS, NOW_MS), Math.max(1, Math.floor(REQUESTS / 4))],
];
// Rounds interleave the decoders (rotating who goes first) so GC state and CPU boost hit all of them alike;
// each row is the median round.
const perDecoder: Row[][] = decoders.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < decoders.length; k++) {
    const d = (k + round) % decoders.length;
    const [name, bodies, fn, n] = decoders[d]!;
    perDecoder[d]!.push(run(name, bodies, fn, Math.max(1, Math.floor(n / ROUNDS))));
  }
}
const rows: Row[] = perDecoder.map((rs) => [...rs].sort((a, b) => a.spansPerS - b.spansPerS)[Math.floor(rs.length / 2)]!);
const ref = rows[1]!.spansPerS;
const table = new Table({ head: ['decoder (median of 5 rounds)', 'requests/round', 'ms', 'spans/s', 'MB/s', 'vs protobufjs+convert'], style: { head: [], border: [] } });
for (const r of rows) table.push([r.decoder, r.requests, r.ms, r.spansPerS.toLocaleString('en'), r.mbPerS, (r.spansPerS / ref).toFixed(2)]);
console.log(`512-span requests, ${Math.round(pbRequests[0]!.length / 1024)} KiB protobuf / ${Math.round(jsonRequests[0]!.length / 1024)} KiB JSON each`);
console.log(table.toString());
console.log(JSON.stringify({ bench: 'decode', node: process.version, gcBetweenRuns: collect !== undefined, requestBytes: pbRequests[0]!.length, rows: rows.map((r) => ({ ...r, ratioToProtobufjs: r.spansPerS / ref })) }, null, 2));
