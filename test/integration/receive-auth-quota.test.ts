import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgtError } from '../../src/model/errors.js';
import { retryable } from '../../src/model/outcome.js';
import { hashApiKey } from '../../src/receive/auth.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { buildExportRequest, fixtureId } from '../support/otlp-fixtures.js';
import { decodeRpcStatus } from '../support/rpc-status.js';
import type { Attributes } from '../../src/model/otlp-values.js';
import { rawBytes, TRACE_EXPORT_PATH } from '../../src/otlp/trace-service.js';

const KEYS = [
  { sha256: hashApiKey('k1'), tenant: 't1' },
  { sha256: hashApiKey('gw'), tenant: 'gw', trustedGateway: true },
];

/** code, message and the RetryInfo delay (ms, or null) of a serialized google.rpc.Status. */
function decodeStatus(bytes: Uint8Array): { code: number; message: string; retryDelayMs: number | null } {
  const { code, message, retryDelayMs } = decodeRpcStatus(bytes);
  return { code, message, retryDelayMs };
}

// --- clients ---
function grpcExport(target: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<ServiceError | null> {
  const md = new Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  const client = new Client(target, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(TRACE_EXPORT_PATH, rawBytes, rawBytes, Buffer.from(body), md, (err) => {
      client.close();
      resolve(err ?? null);
    });
  });
}

async function post(c: TestCollector, body: Uint8Array, headers: Record<string, string>, format: 'protobuf' | 'json' = 'protobuf') {
  const res = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf', ...headers }, body });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), bytes: Buffer.from(await res.arrayBuffer()) };
}

const statusDetails = (err: ServiceError | null) => decodeStatus(err!.metadata.get('grpc-status-details-bin')[0] as Buffer);

async function counter(c: TestCollector, name: string, labels: Record<string, string>): Promise<number> {
  const m = await c.collector.registry.getSingleMetric(name)?.get();
  return m?.values.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((s, x) => s + x.value, 0) ?? 0;
}

let nextTrace = 1;
/** A request of n spans in a fresh trace, under one resource with `resource` attributes. */
function spans(n: number, resource: Attributes = {}, name = 'chat'): Uint8Array {
  const trace = fixtureId(nextTrace++, 16);
  return buildExportRequest(
    Array.from({ length: n }, (_, i) => ({ traceId: trace, spanId: fixtureId(i + 1, 8), name })),
    { 'service.name': 'svc', ...resource },
  );
}
/** Protobuf repeated fields concatenate: two requests back to back are one request with both resources. */
const merge = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('OTLP receivers with API keys', () => {
  let c: TestCollector;

  beforeAll(async () => {
    c = await startTestCollector({ config: { receive: { keys: KEYS } } });
  });
  afterAll(async () => c.close());

  describe('authentication', () => {
    it('refuses a request without a key with UNAUTHENTICATED / 401, and takes nothing', async () => {
      const before = await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_UNAUTHENTICATED' });
      const err = await grpcExport(c.grpcTarget, spans(1));
      expect(err?.code).toBe(status.UNAUTHENTICATED);
      expect(err?.details).toMatch(/^AGT_ERR_UNAUTHENTICATED: no API key/);
      expect(statusDetails(err).retryDelayMs).toBeNull();
      const h = await post(c, spans(1), {}, 'json');
      expect(h.status).toBe(401);
      expect(h.retryAfter).toBeNull();
      expect(JSON.parse(h.bytes.toString('utf8'))).toMatchObject({ code: status.UNAUTHENTICATED, errorCode: 'AGT_ERR_UNAUTHENTICATED' });
      expect(c.sink.spans).toHaveLength(0);
      expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_UNAUTHENTICATED' })).toBe(before + 2);
    });

    it('refuses a wrong key, the key hash and a non-Bearer scheme with UNAUTHENTICATED / 401', async () => {
      expect((await grpcExport(c.grpcTarget, spans(1), bearer('wrong')))?.code).toBe(status.UNAUTHENTICATED);
      expect((await grpcExport(c.grpcTarget, spans(1), { 'x-api-key': hashApiKey('k1') }))?.code).toBe(status.UNAUTHENTICATED);
      expect((await grpcExport(c.grpcTarget, spans(1), { authorization: 'Basic k1' }))?.code).toBe(status.UNAUTHENTICATED);
      const h = await post(c, spans(1), { 'x-api-key': 'nope' });
      expect(h.status).toBe(401);
      expect(decodeStatus(h.bytes)).toEqual({ code: status.UNAUTHENTICATED, message: 'AGT_ERR_UNAUTHENTICATED: unknown API key', retryDelayMs: null });
      expect(c.sink.spans).toHaveLength(0);
    });

    it('accepts the key as Bearer or x-api-key on both transports and writes its tenant', async () => {
      const before = c.sink.spans.length;
      expect(await grpcExport(c.grpcTarget, spans(1, {}, 'grpc-bearer'), bearer('k1'))).toBeNull();
      expect(await grpcExport(c.grpcTarget, spans(1, {}, 'grpc-x-api-key'), { 'x-api-key': 'k1' })).toBeNull();
      expect((await post(c, spans(1, {}, 'http-bearer'), bearer('k1'))).status).toBe(200);
      expect((await post(c, spans(1, {}, 'http-x-api-key'), { 'x-api-key': 'k1' })).status).toBe(200);
      const got = c.sink.spans.slice(before);
      expect(got.map((s) => s.name).sort()).toEqual(['grpc-bearer', 'grpc-x-api-key', 'http-bearer', 'http-x-api-key']);
      expect(new Set(got.map((s) => s.tenantId))).toEqual(new Set(['t1']));
    });
  });

  describe('tenant per resource', () => {
    it('lets a tenant key name its own tenant in tenant.id', async () => {
      const before = c.sink.spans.length;
      expect(await grpcExport(c.grpcTarget, spans(2, { 'tenant.id': 't1' }), bearer('k1'))).toBeNull();
      expect(c.sink.spans.slice(before).map((s) => s.tenantId)).toEqual(['t1', 't1']);
    });

    it('refuses a tenant key naming another tenant with PERMISSION_DENIED / 403, taking none of the request', async () => {
      const before = c.sink.spans.length;
      const refusedBefore = await counter(c, 'agenttail_receive_spans_refused_total', { reason: 'AGT_ERR_TENANT_FORBIDDEN' });
      // The first resource is fine; the second claims tenant t2: the whole request is refused.
      const body = merge(spans(2), spans(3, { 'tenant.id': 't2' }));
      const err = await grpcExport(c.grpcTarget, body, bearer('k1'));
      expect(err?.code).toBe(status.PERMISSION_DENIED);
      expect(err?.details).toContain('AGT_ERR_TENANT_FORBIDDEN');
      expect(err?.details).toContain('"t2"');
      const h = await post(c, body, { 'x-api-key': 'k1' }, 'protobuf');
      expect(h.status).toBe(403);
      expect(decodeStatus(h.bytes).code).toBe(status.PERMISSION_DENIED);
      expect(c.sink.spans.length).toBe(before);
      expect(await counter(c, 'agenttail_receive_spans_refused_total', { reason: 'AGT_ERR_TENANT_FORBIDDEN' })).toBe(refusedBefore + 10);
      expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_TENANT_FORBIDDEN' })).toBeGreaterThanOrEqual(2);
    });

    it('lets a trusted gateway key set the tenant per resource, defaulting to its own', async () => {
      const before = c.sink.spans.length;
      const body = merge(spans(2, { 'tenant.id': 'acme' }, 'for-acme'), spans(1, { 'tenant.id': 'globex' }, 'for-globex'), spans(1, {}, 'for-gw'));
      expect(await grpcExport(c.grpcTarget, body, bearer('gw'))).toBeNull();
      expect((await post(c, spans(1, { 'tenant.id': 'initech' }, 'for-initech'), { 'x-api-key': 'gw' })).status).toBe(200);
      const got = c.sink.spans.slice(before).map((s) => `${s.name}@${s.tenantId}`);
      expect(got.sort()).toEqual(['for-acme@acme', 'for-acme@acme', 'for-globex@globex', 'for-gw@gw', 'for-initech@initech']);
    });
  });

  describe('when the pipeline is full', () => {
    it('answers UNAVAILABLE with RetryInfo / 503 with Retry-After, takes nothing, and recovers', async () => {
      const before = c.sink.spans.length;
      const refusedBefore = await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_BUFFER_FULL' });
      c.sink.nextOutcome = retryable(new AgtError('AGT_ERR_BUFFER_FULL', 'session buffer at its memory limit'), 2_500);
      try {
        const err = await grpcExport(c.grpcTarget, spans(1), bearer('k1'));
        expect(err?.code).toBe(status.UNAVAILABLE);
        expect(statusDetails(err)).toEqual({ code: status.UNAVAILABLE, message: 'AGT_ERR_BUFFER_FULL: session buffer at its memory limit', retryDelayMs: 2_500 });
        const h = await post(c, spans(1), bearer('k1'));
        expect(h.status).toBe(503);
        expect(h.retryAfter).toBe('3');
        expect(decodeStatus(h.bytes).retryDelayMs).toBe(2_500);
        const j = await post(c, Buffer.from('{}'), bearer('k1'), 'json');
        expect(j.status).toBe(503);
        expect(JSON.parse(j.bytes.toString('utf8'))).toMatchObject({ errorCode: 'AGT_ERR_BUFFER_FULL', retryAfterMs: 2_500 });
      } finally {
        c.sink.nextOutcome = null;
      }
      expect(c.sink.spans.length).toBe(before);
      expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_BUFFER_FULL' })).toBe(refusedBefore + 3);
      expect(await grpcExport(c.grpcTarget, spans(1), bearer('k1'))).toBeNull();
      expect(c.sink.spans.length).toBe(before + 1);
    });
  });
});

describe('OTLP receivers with quotas', () => {
  let c: TestCollector;

  beforeAll(async () => {
    c = await startTestCollector({
      config: {
        receive: {
          keys: [...KEYS, { sha256: hashApiKey('k2'), tenant: 't2' }],
          quota: { spansPerSecond: 5 },
          tenantQuotas: { gw: { spansPerSecond: 0, bytesPerSecond: 0 }, t2: { spansPerSecond: 0, bytesPerSecond: 1_000 } },
        },
      },
    });
  });
  afterAll(async () => c.close());

  it('answers RESOURCE_EXHAUSTED with RetryInfo over the spans quota, then 429 with Retry-After', async () => {
    // The bucket holds 2 s of rate: 10 spans. 8 pass; 8 more need (8 - 2) / 5 s = 1.2 s at most.
    expect(await grpcExport(c.grpcTarget, spans(8), bearer('k1'))).toBeNull();
    const before = c.sink.spans.length;
    const err = await grpcExport(c.grpcTarget, spans(8), bearer('k1'));
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    const st = statusDetails(err);
    expect(st.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(st.message).toBe('AGT_ERR_QUOTA_EXCEEDED: tenant "t1" is over its quota of 5 spans/s');
    expect(st.retryDelayMs).toBeGreaterThan(0);
    expect(st.retryDelayMs).toBeLessThanOrEqual(1_200);

    const h = await post(c, spans(8), { 'x-api-key': 'k1' });
    expect(h.status).toBe(429);
    expect(['1', '2']).toContain(h.retryAfter);
    const body = decodeStatus(h.bytes);
    expect(body.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(body.retryDelayMs).toBeGreaterThan(0);
    expect(body.retryDelayMs).toBeLessThanOrEqual(1_200);
    expect(c.sink.spans.length).toBe(before);
    expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_QUOTA_EXCEEDED' })).toBe(2);
    expect(await counter(c, 'agenttail_receive_spans_refused_total', { reason: 'AGT_ERR_QUOTA_EXCEEDED' })).toBe(16);
  });

  it('keeps one tenant’s quota from refusing another', async () => {
    const before = c.sink.spans.length;
    // t1 is out of tokens after the test above; gw is unlimited (override of 0).
    expect(await grpcExport(c.grpcTarget, spans(50, { 'tenant.id': 'acme' }), bearer('gw'))).toBeNull();
    expect(c.sink.spans.length).toBe(before + 50);
  });

  it('applies a per-tenant bytes quota override with 429 and Retry-After', async () => {
    const big = spans(10, { pad: 'x'.repeat(1_000) }); // ~1.6 kB and 10 spans; t2's bucket holds 2,000 bytes, unlimited spans
    expect(big.length).toBeGreaterThan(1_000);
    expect(big.length).toBeLessThan(2_000);
    expect((await post(c, big, bearer('k2'))).status).toBe(200);
    const h = await post(c, big, bearer('k2'));
    expect(h.status).toBe(429);
    expect(Number(h.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(decodeStatus(h.bytes).message).toBe('AGT_ERR_QUOTA_EXCEEDED: tenant "t2" is over its quota of 1000 bytes/s');
  });
});

describe('overload shedding', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector({ config: { receive: { overload: { maxEventLoopLagMs: 400, retryAfterMs: 1500 } } } });
  });
  afterAll(async () => c.close());

  it('refuses Export before decoding with UNAVAILABLE + RetryInfo / 503 + Retry-After while the loop lags, counted, then accepts again', async () => {
    // The guard's lag reading is replaced for the duration (a real lag cannot be produced on cue in a shared
    // process); test/unit/receive-overload.test.ts covers how the lag is measured.
    const guard = c.collector.overload;
    const measured = guard.lagMs.bind(guard);
    guard.lagMs = () => 900;
    try {
      const err = await grpcExport(c.grpcTarget, spans(3));
      expect(err?.code).toBe(status.UNAVAILABLE);
      const st = statusDetails(err);
      expect(st.message).toContain('AGT_ERR_OVERLOADED: collector overloaded: event loop 900 ms behind (limit 400 ms)');
      expect(st.retryDelayMs).toBe(1500);
      const h = await post(c, spans(3), {});
      expect(h.status).toBe(503);
      expect(h.retryAfter).toBe('2');
      expect(c.sink.spans).toHaveLength(0);
      expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_OVERLOADED' })).toBe(2);
    } finally {
      guard.lagMs = measured;
    }
    expect(await grpcExport(c.grpcTarget, spans(3))).toBeNull();
    expect(c.sink.spans).toHaveLength(3);
  });
});

describe('memory cap shedding', () => {
  const MiB = 1024 * 1024;
  const rss = { bytes: 100 * MiB };
  const pressure: boolean[] = [];
  let gcs = 0;
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector({
      config: { receive: { overload: { maxRssBytes: 200 * MiB, retryAfterMs: 1500 } } },
      hooks: { readRssBytes: () => rss.bytes, onMemoryPressure: (over) => pressure.push(over), collectGarbage: () => (gcs++, true) },
    });
  });
  afterAll(async () => c.close());

  it('refuses Export before decoding with UNAVAILABLE + RetryInfo / 503 + Retry-After while RSS is over the cap, counted, then accepts again below 75 %', async () => {
    expect(await counter(c, 'agenttail_process_rss_limit_bytes', {})).toBe(200 * MiB);
    expect(await grpcExport(c.grpcTarget, spans(2))).toBeNull();
    rss.bytes = 210 * MiB;
    // The guard samples RSS on its own 100 ms timer; a real sample is awaited rather than forced.
    await waitFor(() => c.collector.overload.memoryPressure);
    expect(pressure).toEqual([true]);
    // A full collection is forced on reaching the limit, and counted.
    expect(gcs).toBeGreaterThanOrEqual(1);
    const forced = await counter(c, 'agenttail_process_forced_gc_total', {});
    expect(forced).toBeGreaterThanOrEqual(1);
    expect(forced).toBeLessThanOrEqual(gcs); // another may run (every 2 s) while /metrics is read
    const err = await grpcExport(c.grpcTarget, spans(3));
    expect(err?.code).toBe(status.UNAVAILABLE);
    const st = statusDetails(err);
    expect(st.message).toBe(
      `AGT_ERR_MEMORY_LIMIT: collector at its memory limit: RSS 210.0 MiB (${210 * MiB} bytes) ≥ 160.0 MiB (${160 * MiB} bytes), 80 % of receive.overload.maxRssBytes 200.0 MiB (${200 * MiB} bytes); refusing until RSS < 150.0 MiB (${150 * MiB} bytes)`,
    );
    expect(st.retryDelayMs).toBe(1500);
    const h = await post(c, spans(3), {});
    expect(h.status).toBe(503);
    expect(h.retryAfter).toBe('2');
    expect(decodeStatus(h.bytes).message).toMatch(/^AGT_ERR_MEMORY_LIMIT: collector at its memory limit: RSS 210\.0 MiB/);
    expect(c.sink.spans).toHaveLength(2);
    expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_MEMORY_LIMIT' })).toBe(2);
    expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_MEMORY_LIMIT', transport: 'grpc' })).toBe(1);

    rss.bytes = 155 * MiB; // under the refusal level but above the resume level: still refused
    await sleep(250);
    expect((await grpcExport(c.grpcTarget, spans(1)))?.code).toBe(status.UNAVAILABLE);
    rss.bytes = 140 * MiB;
    await waitFor(() => !c.collector.overload.memoryPressure);
    expect(pressure).toEqual([true, false]);
    expect(await grpcExport(c.grpcTarget, spans(3))).toBeNull();
    expect(c.sink.spans).toHaveLength(5);
    expect(await counter(c, 'agenttail_receive_requests_total', { code: 'AGT_ERR_MEMORY_LIMIT' })).toBe(3);
  });
});

describe('memory cap from the cgroup limit', () => {
  let dir: string;
  let c: TestCollector | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agt-cgroup-'));
  });
  afterAll(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes 80 % of memory.max under auto and shows it in /metrics', async () => {
    const path = join(dir, 'memory.max');
    writeFileSync(path, '2147483648\n');
    c = await startTestCollector({ config: { receive: { overload: { maxRssBytes: 'auto' } } }, hooks: { cgroupMemoryMaxPath: path, readRssBytes: () => 0 } });
    expect(c.collector.rssCap).toEqual({ bytes: 1_717_986_918, source: 'cgroup', cgroupLimitBytes: 2_147_483_648 });
    const text = await (await fetch(`${c.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^agenttail_process_rss_limit_bytes 1717986918$/m);
    expect(await grpcExport(c.grpcTarget, spans(1))).toBeNull();
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}
