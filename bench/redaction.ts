/**
 * Ingest with redaction on against off, in one run (issue 26: the built-in set may cost ≤ 20 % of ingest throughput on
 * spans carrying 2 kB of message content; off must cost nothing measurable). Spans/s through the production
 * ExportHandler (open auth, redact, decode, normalize, price) → SessionBuffer → decisions, CONCURRENCY requests in
 * flight, a store that only counts; with the write-ahead log as deployed (`fsync`, the default) and without it (the
 * strictest ratio: everything but redaction is cheaper). Traffic: 512-span protobuf requests as bench/wal-ingest.ts, plus a ~2 kB `gen_ai.input.messages` JSON on
 * every span; `clean` has nothing personal in it (values are walked, no request is rewritten), `personal` puts an
 * e-mail address, a phone number and a card number in every span's messages (every request is rewritten).
 * Modes alternate within each round so machine noise hits them alike; the best round of each counts.
 * The off path is also timed alone: the null redactor's cost per request against a request's ingest time.
 * Run: npx tsx bench/redaction.ts [requests] [rounds] [concurrency]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Registry } from 'prom-client';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { Durability } from '../src/durability/durability.js';
import { Authenticator } from '../src/receive/auth.js';
import { RedactionMetrics } from '../src/redaction/metrics.js';
import { protectedKeys } from '../src/config/protected-keys.js';
import { NO_REDACTION, type RequestRedactor } from '../src/receive/redactor.js';
import { Redactor } from '../src/redaction/request-redactor.js';
import { buildExportRequest, type FixtureSpan } from '../test/support/otlp-fixtures.js';
import { agentTrace } from './support/agent-traffic.js';
import { CountingStore } from './support/counting-store.js';
import { ingestPipeline } from './support/ingest-pipeline.js';

const REQUESTS = Number(process.argv[2] ?? 40);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONCURRENCY = Number(process.argv[4] ?? 8);
const SESSIONS_PER_REQUEST = 32;
const SPANS_PER_SESSION = 16;
const NOW_MS = Date.now();

const SENTENCE = 'The customer asked how to change the delivery address on order 88213 and whether the refund for the damaged item was processed. ';

/** ~2 kB of chat messages as GenAI semconv JSON; `personal` adds an e-mail, a phone and a card number. */
function messages(n: number, personal: boolean): string {
  const user = personal ? `I am jo.miller${n}@example.com, call me on +44 20 7946 ${String(1000 + (n % 9000))} or charge 4111 1111 1111 1111. ` : '';
  const text = (user + SENTENCE.repeat(16)).slice(0, 1_900);
  return JSON.stringify([
    { role: 'system', parts: [{ type: 'text', content: 'You are a support agent.' }] },
    { role: 'user', parts: [{ type: 'text', content: text }] },
  ]);
}

function request(first: number, personal: boolean): Uint8Array {
  const specs: FixtureSpan[] = [];
  for (let n = first; n < first + SESSIONS_PER_REQUEST; n++) {
    for (const s of agentTrace(n, SPANS_PER_SESSION, NOW_MS)) specs.push({ ...s, attributes: { ...s.attributes, 'gen_ai.input.messages': messages(n, personal) } });
  }
  return buildExportRequest(specs, { 'service.name': 'support-agent' }, { nowMs: NOW_MS });
}

function builtins(): RequestRedactor {
  const config = parseConfig({ redaction: { enabled: true } }).redaction;
  const auth = new Authenticator({ keys: [], log: silentLogger() });
  return new Redactor({ config, isProtected: protectedKeys(), auth, metrics: new RedactionMetrics(new Registry()) }).forSignal('traces');
}

/** Wall ms, spans, and process CPU µs (user + system): on a shared machine CPU per span is the steadier figure. */
async function run(redactor: RequestRedactor, bodies: Uint8Array[], wal: 'fsync' | 'off'): Promise<{ ms: number; spans: number; cpuUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'agt-redact-bench-'));
  const journal =
    wal === 'off' ? undefined : await Durability.open({ dir, durability: wal, segmentBytes: 64 * 1024 ** 2, maxDiskBytes: 64 * 1024 ** 3, groupCommitMs: 2, retentionMs: 3_600_000, log: silentLogger() });
  const { handler, buffer } = ingestPipeline({ store: new CountingStore(), journal, sessions: { idleTimeoutMs: 5_000, maxBufferBytes: 8 * 1024 ** 3 }, redactor });
  let next = 0;
  let spans = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const r = await handler.handle({ credentials: {}, body, format: 'protobuf', transport: 'grpc' });
        if (r.status !== 'ok') throw new Error(`bench: refused ${r.error.code}`);
        spans += r.value.accepted;
        if (next % 20 === 0) buffer.sweep();
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await journal?.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { ms, spans, cpuUs: cpu.user + cpu.system };
}

const traffic = {
  clean: Array.from({ length: REQUESTS }, (_, i) => request(i * SESSIONS_PER_REQUEST, false)),
  personal: Array.from({ length: REQUESTS }, (_, i) => request(i * SESSIONS_PER_REQUEST, true)),
};
const on = builtins();
// The personal traffic must really be rewritten (and the clean traffic not), or the figures mean nothing.
const principal = { tenantId: 'default', trustedGateway: false, admin: false, open: true, keyId: 'open' };
const probe = (b: Uint8Array) => on.redact(b, 'protobuf', principal);
const p0 = probe(traffic.personal[0]!);
const c0 = probe(traffic.clean[0]!);
if (p0.status !== 'ok' || p0.value === traffic.personal[0] || c0.status !== 'ok' || c0.value !== traffic.clean[0]) throw new Error('bench: traffic does not exercise redaction as intended');

const modes = (['off', 'fsync'] as const).flatMap((wal) =>
  (['clean', 'personal'] as const).flatMap((kind) =>
    (['off', 'on'] as const).map((redaction) => ({ name: `wal ${wal}, ${kind}, redaction ${redaction}`, base: `wal ${wal}, ${kind}, redaction off`, wal, redactor: redaction === 'on' ? on : NO_REDACTION, bodies: traffic[kind] })),
  ),
);
await run(NO_REDACTION, traffic.clean.slice(0, 10), 'off'); // warm-up
await run(on, traffic.personal.slice(0, 10), 'off');
const best = new Map<string, { ms: number; spans: number }>();
const all = new Map<string, number[]>();
/** CPU µs per span of each round. */
const cpu = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const m of modes) {
    const r = await run(m.redactor, m.bodies, m.wal);
    if ((best.get(m.name)?.ms ?? Infinity) > r.ms) best.set(m.name, r);
    all.set(m.name, [...(all.get(m.name) ?? []), Math.round((r.spans / r.ms) * 1000)]);
    cpu.set(m.name, [...(cpu.get(m.name) ?? []), r.cpuUs / r.spans]);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuPerSpan = (name: string): number => median(cpu.get(name)!);

// The redactor alone over the same requests (no decode, no buffer): its own CPU per span, steadier than the ratios.
function alone(bodies: Uint8Array[]): number {
  const passes = 5;
  for (const b of bodies.slice(0, 5)) on.redact(b, 'protobuf', principal);
  const c0 = process.cpuUsage();
  for (let p = 0; p < passes; p++) for (const b of bodies) on.redact(b, 'protobuf', principal);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (passes * bodies.length * SESSIONS_PER_REQUEST * SPANS_PER_SESSION);
}
const aloneUs = { clean: alone(traffic.clean), personal: alone(traffic.personal) };

// The off path alone: the null redactor per request, against a request's ingest time with it.
const calls = 1_000_000;
const t0 = performance.now();
let sink = 0;
for (let i = 0; i < calls; i++) {
  const r = NO_REDACTION.redact(traffic.clean[i % REQUESTS]!, 'protobuf', principal);
  if (r.status === 'ok') sink += r.value.length & 1;
}
const offNsPerRequest = ((performance.now() - t0) * 1e6) / calls + sink * 0;
const offRun = best.get('wal off, clean, redaction off')!;
const msPerRequest = offRun.ms / REQUESTS;

const rate = (name: string) => (best.get(name)!.spans / best.get(name)!.ms) * 1000;
const wireMb = traffic.clean.reduce((a, b) => a + b.length, 0) / 1024 ** 2;
const table = new Table({ head: ['mode', 'spans/s (best)', 'every round', 'vs off', 'CPU µs/span (median)', 'throughput vs off by CPU'] });
for (const m of modes) {
  table.push([
    m.name,
    Math.round(rate(m.name)).toLocaleString(),
    all.get(m.name)!.map((v) => v.toLocaleString()).join(' / '),
    ((rate(m.name) / rate(m.base)) * 100).toFixed(1) + ' %',
    cpuPerSpan(m.name).toFixed(2),
    ((cpuPerSpan(m.base) / cpuPerSpan(m.name)) * 100).toFixed(1) + ' %',
  ]);
}
console.log(`${REQUESTS} requests × ${SESSIONS_PER_REQUEST * SPANS_PER_SESSION} spans (${wireMb.toFixed(1)} MB wire, ~2 kB messages per span), ${CONCURRENCY} in flight, ${ROUNDS} rounds`);
console.log(table.toString());
console.log(`redactor alone (built-ins on): ${aloneUs.clean.toFixed(2)} CPU µs per span clean, ${aloneUs.personal.toFixed(2)} personal`);
console.log(`off path alone: ${offNsPerRequest.toFixed(0)} ns per request = ${((offNsPerRequest / 1e6 / msPerRequest) * 100).toExponential(1)} % of a request's ingest (${msPerRequest.toFixed(1)} ms)`);
console.log(
  JSON.stringify({
    bench: 'redaction',
    requests: REQUESTS,
    rounds: ROUNDS,
    concurrency: CONCURRENCY,
    spansPerSecond: Object.fromEntries(modes.map((m) => [m.name, Math.round(rate(m.name))])),
    throughputVsOff: Object.fromEntries(modes.filter((m) => m.name !== m.base).map((m) => [m.name, rate(m.name) / rate(m.base)])),
    cpuUsPerSpan: Object.fromEntries(modes.map((m) => [m.name, cpuPerSpan(m.name)])),
    throughputVsOffByCpu: Object.fromEntries(modes.filter((m) => m.name !== m.base).map((m) => [m.name, cpuPerSpan(m.base) / cpuPerSpan(m.name)])),
    redactorAloneCpuUsPerSpan: aloneUs,
    offNsPerRequest,
    offShareOfIngest: offNsPerRequest / 1e6 / msPerRequest,
  }),
);
