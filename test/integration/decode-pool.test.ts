/**
 * The trace decode workers (src/receive/decode-pool.ts, receive.decodeWorkers): real worker_threads reading real
 * requests. What a worker hands back equals what the main thread reads from the same bytes (whole and lean, protobuf
 * and JSON, rejected spans, refused tenants, unreadable bodies); answers come out in the order requests went in, up
 * to the sink; a worker that dies is replaced and the requests it held are answered retryably; the queue is bounded;
 * a closed pool answers retryably.
 */
import { readdirSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPool, stamp } from '../../bench/e2e/requests.js';
import { protectedKeys } from '../../src/config/protected-keys.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import { silentLogger } from '../../src/log.js';
import type { Outcome } from '../../src/model/outcome.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { Authenticator, type TenantAuth } from '../../src/receive/auth.js';
import { DecodePool, DecodePoolMetrics, type DecodedRead } from '../../src/receive/decode-pool.js';
import type { DecodeWorkerSetup } from '../../src/receive/decode-worker.js';
import { RequestDecoder } from '../../src/receive/request-decoder.js';
import { SpanAttrFilter } from '../../src/receive/span-attr-filter.js';
import { PROVIDER_URL_KEYS } from '../../src/sampling/detectors/stalled.js';
import { encodeTraces } from '../../src/simulate/encode.js';
import { generateScenario } from '../../src/simulate/scenario.js';
import { loadFixture } from '../fixtures/conventions/span.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { buildExportRequest, buildExportRequestJson, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const NOW_MS = Date.now();
const OPEN: TenantAuth = { tenantId: 'default', trustedGateway: true, admin: true, open: true, keyId: 'open' };
const KEYED: TenantAuth = { tenantId: 'acme', trustedGateway: false, admin: false, open: false, keyId: 'abcd1234' };

function setup(lean: boolean): DecodeWorkerSetup {
  return { keys: [], limits: DEFAULT_DECODE_LIMITS, sessionPrecedence: undefined, endpointRegions: undefined, pricingOverrides: [], filter: lean ? { reads: {}, heldKeys: [...PROVIDER_URL_KEYS] } : null };
}

/** The main thread's reading of the same request: decode, then tenant, normalize and price. */
function inline(body: Uint8Array, format: 'protobuf' | 'json', lean: boolean, principal: TenantAuth = OPEN) {
  const decoder = new RequestDecoder({ auth: new Authenticator({ keys: [], log: silentLogger() }), limits: DEFAULT_DECODE_LIMITS, normalizer: new Normalizer(), pricer: new Pricer() });
  const filter = lean ? new SpanAttrFilter(protectedKeys(), new Set(PROVIDER_URL_KEYS)) : undefined;
  const d = decoder.decode(body, format, NOW_MS, filter);
  if (d.status !== 'ok') return d;
  const received = d.value.spans.length + d.value.rejected.length;
  const resolved = decoder.normalize(d.value, principal);
  return { status: 'ok' as const, received, rejected: d.value.rejected, truncatedStrings: d.value.truncatedStrings, resolved };
}

function span(n: number, attrs: FixtureSpan['attributes'] = {}): FixtureSpan {
  const t = BigInt(NOW_MS - 5_000) * 1_000_000n;
  return { traceId: fixtureId(n, 16), spanId: fixtureId(n, 8), parentSpanId: '', name: `step ${n}`, kind: 1, startTimeUnixNano: t, endTimeUnixNano: t + 1_000_000n, attributes: attrs, events: [], links: [], status: { code: 0, message: '' } };
}

/** Requests of every kind the corpus has: the e2e bench's, the simulator's, each client fixture's, JSON, a rejected span. */
function requests(): { name: string; body: Uint8Array; format: 'protobuf' | 'json' }[] {
  const out: { name: string; body: Uint8Array; format: 'protobuf' | 'json' }[] = [];
  const e2e = buildPool({ pairs: 2, seed: 7, spansPerRequest: 64 });
  e2e.forEach((p, i) => out.push({ name: `e2e ${i} a`, body: stamp(p.a, i + 1), format: 'protobuf' }, { name: `e2e ${i} b`, body: stamp(p.b, i + 1), format: 'protobuf' }));
  const sim = generateScenario({ seed: 3, sessions: 12, runId: 'pool', nowMs: NOW_MS, shares: { error: 0.1, rarePath: 0.1, costOutlier: 0.1, lowEval: 0.1, lateLowEval: 0.1, detector: 0.05 } });
  out.push({ name: 'simulator', body: encodeTraces(sim.flatMap((s) => s.traces), { serviceName: 'sim' }), format: 'protobuf' });
  const convDir = new URL('../fixtures/conventions/', import.meta.url);
  for (const f of readdirSync(convDir).filter((x) => x.endsWith('.json'))) {
    const spans = loadFixture(f).map((s) => ({ ...s, startTimeUnixNano: BigInt(NOW_MS - 5_000) * 1_000_000n, endTimeUnixNano: BigInt(NOW_MS - 4_000) * 1_000_000n }));
    for (const s of spans) {
      const fx: FixtureSpan = { traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name, kind: s.kind, startTimeUnixNano: s.startTimeUnixNano, endTimeUnixNano: s.endTimeUnixNano, attributes: s.attributes, events: s.events, links: s.links, status: s.status };
      out.push({ name: `fixture ${f}`, body: buildExportRequest([fx], s.resource.attributes, { scopeName: s.scope.name, scopeVersion: s.scope.version, nowMs: NOW_MS }), format: 'protobuf' });
    }
  }
  const json = [span(1, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'app.note': 'é ✓ 😀' }), span(2, { 'gen_ai.conversation.id': 's-json' })];
  out.push({ name: 'json', body: Buffer.from(buildExportRequestJson(json, { 'service.name': 'json-svc' }, { nowMs: NOW_MS })), format: 'json' });
  const bad = { ...span(3), traceId: '00' };
  out.push({ name: 'rejected span', body: buildExportRequest([span(4), bad], {}, { nowMs: NOW_MS }), format: 'protobuf' });
  return out;
}

/** A request of `n` spans with ~12 attributes each (long enough to keep a worker busy for a while at large n). */
function bigRequest(n: number, first = 0): Uint8Array {
  const spans = Array.from({ length: n }, (_, i) => span(first + i, { 'gen_ai.conversation.id': `s-${(first + i) % 7}`, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'app.prompt': 'x'.repeat(200), 'app.k1': i, 'app.k2': true }));
  return buildExportRequest(spans, { 'service.name': 'big' }, { nowMs: NOW_MS });
}

function okValue(read: DecodedRead) {
  expect(read.status).toBe('ok');
  if (read.status !== 'ok') throw new Error('unreachable');
  return read.value;
}

function codeOf(o: Outcome<unknown>): string | undefined {
  return o.status === 'ok' ? undefined : o.error.code;
}

let pools: DecodePool[] = [];
let collectors: TestCollector[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(collectors.map((c) => c.close()));
  pools = [];
  collectors = [];
});

function newPool(size: number, lean: boolean, extra: Partial<ConstructorParameters<typeof DecodePool>[0]> = {}): DecodePool {
  const pool = new DecodePool({ size, setup: setup(lean), log: silentLogger(), retryAfterMs: 250, ...extra });
  pools.push(pool);
  return pool;
}

describe('trace decode workers', () => {
  it.each([false, true])('read every request as the main thread does (lean: %s)', async (lean) => {
    const pool = newPool(2, lean);
    await pool.start();
    const all = requests();
    const reads = await Promise.all(all.map((r) => pool.read(r.body, r.format, NOW_MS, OPEN)));
    let spans = 0;
    all.forEach((r, i) => {
      const want = inline(r.body, r.format, lean);
      const got = okValue(reads[i]!);
      expect(want.status, r.name).toBe('ok');
      if (want.status !== 'ok') return;
      expect(got.received, r.name).toBe(want.received);
      expect(got.rejected, r.name).toStrictEqual(want.rejected);
      expect(got.truncatedStrings, r.name).toBe(want.truncatedStrings);
      expect(got.resolved, r.name).toStrictEqual(want.resolved);
      if (got.resolved.status === 'ok') spans += got.resolved.value.length;
    });
    expect(spans).toBeGreaterThan(300);
    expect(all.some((r, i) => okValue(reads[i]!).rejected.length > 0)).toBe(true);
  });

  it('answers a body it cannot read, and a tenant the key may not write, as the main thread does', async () => {
    const pool = newPool(1, true);
    const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const got = await pool.read(garbage, 'protobuf', NOW_MS, OPEN);
    const want = inline(garbage, 'protobuf', true);
    expect(got.status).toBe('failed');
    expect(want.status).toBe('failed');
    if (got.status === 'ok' || want.status === 'ok') return;
    expect(got.error.code).toBe(want.error.code);
    expect(got.error.message).toBe(want.error.message);

    const foreign = buildExportRequest([span(10), span(11)], { 'tenant.id': 'other' }, { nowMs: NOW_MS });
    const read = okValue(await pool.read(foreign, 'protobuf', NOW_MS, KEYED));
    expect(read.received).toBe(2);
    expect(codeOf(read.resolved)).toBe('AGT_ERR_TENANT_FORBIDDEN');
    const inlineRead = inline(foreign, 'protobuf', true, KEYED);
    if (inlineRead.status !== 'ok') throw new Error('inline read failed');
    expect(read.resolved.status === 'ok' ? '' : read.resolved.error.message).toBe(inlineRead.resolved.status === 'ok' ? '-' : inlineRead.resolved.error.message);
  });

  it('hands answers out in the order requests came in, whichever worker finishes first', async () => {
    const pool = newPool(2, true);
    await pool.start();
    const big = bigRequest(3_000);
    const small = bigRequest(1, 50_000);
    const order: number[] = [];
    const reads = Array.from({ length: 12 }, (_, i) => pool.read(i % 2 === 0 ? big : small, 'protobuf', NOW_MS, OPEN).then((r) => (order.push(i), r)));
    await Promise.all(reads);
    expect(order).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('replaces a worker that dies and answers the requests it held retryably', async () => {
    const registry = new Registry();
    const metrics = new DecodePoolMetrics(registry);
    const pool = newPool(1, true, { metrics });
    await pool.start();
    const big = bigRequest(4_000);
    const held = [pool.read(big, 'protobuf', NOW_MS, OPEN), pool.read(big, 'protobuf', NOW_MS, OPEN), pool.read(big, 'protobuf', NOW_MS, OPEN)];
    await pool.terminateWorker(0);
    const answers = await Promise.all(held);
    const lost = answers.filter((a) => a.status === 'retryable' && a.error.code === 'AGT_ERR_DECODE_WORKER_LOST');
    expect(lost.length).toBeGreaterThanOrEqual(2);
    for (const a of answers) expect(a.status === 'ok' || lost.includes(a)).toBe(true);
    for (const a of lost) expect(a.status === 'retryable' && a.retryInMs).toBe(250);
    // The replacement reads the next request.
    const after = okValue(await pool.read(bigRequest(5), 'protobuf', NOW_MS, OPEN));
    expect(after.resolved.status === 'ok' && after.resolved.value.length).toBe(5);
    expect((await registry.getSingleMetric('agenttail_receive_decode_worker_restarts_total')!.get()).values[0]!.value).toBe(1);
    expect((await registry.getSingleMetric('agenttail_receive_decode_workers')!.get()).values[0]!.value).toBe(1);
  });

  it('ends a worker stuck on a request, answers what it held retryably, and reads on with its replacement', async () => {
    const registry = new Registry();
    let n = 0;
    const pool = newPool(1, true, { metrics: new DecodePoolMetrics(registry), maxReadMs: 1_000, fault: () => (++n === 2 ? 'hang' : undefined) });
    await pool.start();
    const first = await pool.read(bigRequest(3), 'protobuf', NOW_MS, OPEN);
    expect(first.status).toBe('ok');
    const startedMs = Date.now();
    const [stuck, behind] = await Promise.all([pool.read(bigRequest(3), 'protobuf', NOW_MS, OPEN), pool.read(bigRequest(4), 'protobuf', NOW_MS, OPEN)]);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(1_000);
    for (const a of [stuck, behind]) {
      expect(a.status).toBe('retryable');
      expect(codeOf(a)).toBe('AGT_ERR_DECODE_WORKER_LOST');
      expect(a.status === 'retryable' && a.error.message).toMatch(/still reading after \d+ ms/);
    }
    const after = okValue(await pool.read(bigRequest(5), 'protobuf', NOW_MS, OPEN));
    expect(after.resolved.status === 'ok' && after.resolved.value.length).toBe(5);
    expect((await registry.getSingleMetric('agenttail_receive_decode_worker_restarts_total')!.get()).values[0]!.value).toBe(1);
  });

  it('refuses retryably past its queue bound, and answers retryably once closed', async () => {
    const pool = newPool(1, true, { maxQueuedBytesPerWorker: 1 });
    await pool.start();
    const big = bigRequest(2_000);
    const first = pool.read(big, 'protobuf', NOW_MS, OPEN);
    const second = await pool.read(big, 'protobuf', NOW_MS, OPEN);
    expect(second.status).toBe('retryable');
    expect(codeOf(second)).toBe('AGT_ERR_OVERLOADED');
    expect((await first).status).toBe('ok');

    const held = pool.read(big, 'protobuf', NOW_MS, OPEN);
    await pool.close();
    expect(codeOf(await held)).toBe('AGT_ERR_SHUTTING_DOWN');
    const closed = await pool.read(big, 'protobuf', NOW_MS, OPEN);
    expect(closed.status).toBe('retryable');
    expect(codeOf(closed)).toBe('AGT_ERR_SHUTTING_DOWN');
  });

  it('keeps arrival order up to the sink through the Export path (two workers)', async () => {
    const c = await startTestCollector({ config: { receive: { decodeWorkers: 2 } } });
    collectors.push(c);
    expect(c.collector.decodePool?.size).toBe(2);
    const bodies = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? bigRequest(2_000, i * 10_000) : bigRequest(2, i * 10_000)));
    const answers = await Promise.all(bodies.map((body) => c.collector.handler.handle({ credentials: {}, body, format: 'protobuf', transport: 'grpc' })));
    for (const a of answers) expect(a.status).toBe('ok');
    const firsts = c.sink.spans.filter((s) => Number.parseInt(s.name.slice(5), 10) % 10_000 === 0).map((s) => s.name);
    expect(firsts).toEqual(bodies.map((_, i) => `step ${i * 10_000}`));
    // Pricing and normalization metrics are counted on the main thread from the workers' spans.
    const priced = await c.collector.registry.getSingleMetric('agenttail_pricing_spans_total')!.get();
    expect(priced.values.reduce((n, v) => n + v.value, 0)).toBe(c.sink.spans.length);
  });

  it('decodes on the main thread at decodeWorkers: 0', async () => {
    const c = await startTestCollector({ config: { receive: { decodeWorkers: 0 } } });
    collectors.push(c);
    expect(c.collector.decodePool).toBeUndefined();
    const a = await c.collector.handler.handle({ credentials: {}, body: bigRequest(3), format: 'protobuf', transport: 'grpc' });
    expect(a.status).toBe('ok');
    expect(c.sink.spans).toHaveLength(3);
  });
});
