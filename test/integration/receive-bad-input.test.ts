import { gzipSync } from 'node:zlib';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgtError } from '../../src/errors.js';
import { retryable } from '../../src/outcome.js';
import { hashApiKey } from '../../src/receive/auth.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { buildExportRequest, buildExportRequestJson, fixtureId } from '../support/otlp-fixtures.js';

const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

interface GrpcReply {
  err: ServiceError | null;
  body: Buffer | null;
}

function grpcExport(target: string, body: Uint8Array, md = new Metadata(), compress = false): Promise<GrpcReply> {
  const client = new Client(target, credentials.createInsecure(), compress ? { 'grpc.default_compression_algorithm': 2 } : {});
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), md, (err, res) => {
      client.close();
      resolve({ err: err ?? null, body: res ?? null });
    });
  });
}

/** ExportTraceServiceResponse.partial_success.rejected_spans (field 1 → field 1 varint). */
function rejectedSpans(res: Uint8Array): number {
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = res[pos++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return v;
    }
  };
  if (res.length === 0) return 0;
  expect(res[pos++]).toBe(0x0a); // field 1, length-delimited
  varint(); // length of partial_success
  if (res[pos++] !== 0x08) return 0; // field 1 varint: rejected_spans
  return varint();
}

const good = (n = 1) =>
  buildExportRequest(
    Array.from({ length: n }, (_, i) => ({ traceId: fixtureId(1, 16), spanId: fixtureId(i + 1, 8), name: `chat ${i}`, attributes: { 'gen_ai.operation.name': 'chat' } })),
    { 'service.name': 'svc' },
  );

async function metricValue(c: TestCollector, name: string, labels: Record<string, string>): Promise<number> {
  const m = await c.collector.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('receivers under bad input', () => {
  let c: TestCollector;

  beforeAll(async () => {
    c = await startTestCollector({ config: { receive: { http: { maxBodyBytes: 64 * 1024 }, grpc: { maxMessageBytes: 256 * 1024 } } } });
  });
  afterAll(async () => c.close());

  it('refuses truncated and random protobuf with INVALID_ARGUMENT naming the problem, and counts it', async () => {
    const bytes = good(3);
    const truncated = await grpcExport(c.grpcTarget, bytes.subarray(0, bytes.length - 7));
    expect(truncated.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(truncated.err?.details).toContain('AGT_ERR_MALFORMED_REQUEST');
    const random = await grpcExport(c.grpcTarget, Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 97 + 13) % 256)));
    expect(random.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(await metricValue(c, 'agenttail_receive_requests_total', { transport: 'grpc', code: 'AGT_ERR_MALFORMED_REQUEST' })).toBe(2);
    // The server stays up: a good request succeeds after.
    const ok = await grpcExport(c.grpcTarget, good(2));
    expect(ok.err).toBeNull();
  });

  it('accepts gzip-compressed gRPC messages', async () => {
    const before = c.sink.spans.length;
    const r = await grpcExport(c.grpcTarget, good(4), new Metadata(), true);
    expect(r.err).toBeNull();
    expect(c.sink.spans.length).toBe(before + 4);
  });

  it('answers partial_success for spans with bad ids and absurd timestamps', async () => {
    const body = buildExportRequest([
      { traceId: fixtureId(2, 16), spanId: fixtureId(1, 8) },
      { traceId: 'abcd', spanId: fixtureId(2, 8) },
      { traceId: fixtureId(2, 16), spanId: fixtureId(3, 8), startTimeUnixNano: 1n, endTimeUnixNano: 2n },
    ]);
    const r = await grpcExport(c.grpcTarget, body);
    expect(r.err).toBeNull();
    expect(rejectedSpans(r.body!)).toBe(2);
    const http = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: buildExportRequestJson([{ traceId: fixtureId(3, 16), spanId: '00' }]) });
    expect(http.status).toBe(200);
    const json = (await http.json()) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } };
    expect(json.partialSuccess?.rejectedSpans).toBe('1');
    expect(json.partialSuccess?.errorMessage).toMatch(/span/i);
  });

  it('rejects a span with 10,000 attributes, deep nesting or non-UTF-8 strings, and keeps the rest', async () => {
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 20; i++) deep = { nested: deep }; // past maxAnyValueDepth (16)
    const body = buildExportRequest([
      { traceId: fixtureId(4, 16), spanId: fixtureId(1, 8), attributes: many },
      { traceId: fixtureId(4, 16), spanId: fixtureId(2, 8), attributes: { deep: deep as never } },
      { traceId: fixtureId(4, 16), spanId: fixtureId(3, 8), name: 'fine' },
    ]);
    const r = await grpcExport(c.grpcTarget, body);
    expect(r.err).toBeNull();
    expect(rejectedSpans(r.body!)).toBe(2);
    // Invalid UTF-8 in a string: patch the bytes of a known marker in the encoded name.
    const utf = Buffer.from(buildExportRequest([{ traceId: fixtureId(5, 16), spanId: fixtureId(1, 8), name: 'MARKERXX' }]));
    const at = utf.indexOf('MARKERXX');
    utf[at + 6] = 0xc3;
    utf[at + 7] = 0x28; // an invalid 2-byte sequence
    const bad = await grpcExport(c.grpcTarget, utf);
    expect(bad.err).toBeNull();
    expect(rejectedSpans(bad.body!)).toBe(1);
  });

  it('answers 400 for invalid JSON, 415 for a wrong content type and 413 for an oversize body', async () => {
    const json = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": [' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { message: string }).message).toContain('AGT_ERR_MALFORMED_REQUEST');
    const type = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(type.status).toBe(415);
    const big = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.alloc(200 * 1024, 1) });
    expect(big.status).toBe(413);
  });

  it('accepts gzip bodies, refuses a gzip bomb with 413 and a broken gzip with 400', async () => {
    const before = c.sink.spans.length;
    const ok = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, body: gzipSync(good(3)) });
    expect(ok.status).toBe(200);
    expect(c.sink.spans.length).toBe(before + 3);
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, body: bomb });
    expect(r.status).toBe(413);
    const broken = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, body: Buffer.from('not gzip at all') });
    expect(broken.status).toBe(400);
    const after = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: good(1) });
    expect(after.status).toBe(200);
  });

  it('answers UNAVAILABLE with RetryInfo and 503 with Retry-After when the pipeline is full', async () => {
    c.sink.nextOutcome = retryable(new AgtError('AGT_ERR_BUFFER_FULL', 'buffer full'), 2_000);
    try {
      const r = await grpcExport(c.grpcTarget, good(1));
      expect(r.err?.code).toBe(status.UNAVAILABLE);
      const details = r.err?.metadata.get('grpc-status-details-bin')[0] as Buffer;
      expect(details.toString('latin1')).toContain('type.googleapis.com/google.rpc.RetryInfo');
      const h = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: good(1) });
      expect(h.status).toBe(503);
      expect(h.headers.get('retry-after')).toBe('2');
    } finally {
      c.sink.nextOutcome = null;
    }
  });
});

describe('receivers with API keys and quotas', () => {
  let c: TestCollector;

  beforeAll(async () => {
    c = await startTestCollector({
      config: {
        receive: {
          keys: [
            { sha256: hashApiKey('k1'), tenant: 't1' },
            { sha256: hashApiKey('gw'), tenant: 'gateway', trustedGateway: true },
          ],
          tenantQuotas: { t1: { spansPerSecond: 5, bytesPerSecond: 0 } },
        },
      },
    });
  });
  afterAll(async () => c.close());

  const md = (key: string) => {
    const m = new Metadata();
    m.set('authorization', `Bearer ${key}`);
    return m;
  };

  it('refuses a missing or wrong key with UNAUTHENTICATED / 401', async () => {
    expect((await grpcExport(c.grpcTarget, good(1))).err?.code).toBe(status.UNAUTHENTICATED);
    expect((await grpcExport(c.grpcTarget, good(1), md('wrong'))).err?.code).toBe(status.UNAUTHENTICATED);
    const h = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-api-key': 'nope' }, body: good(1) });
    expect(h.status).toBe(401);
  });

  it('writes the key tenant, and refuses a tenant key claiming another tenant', async () => {
    const before = c.sink.spans.length;
    expect((await grpcExport(c.grpcTarget, good(1), md('k1'))).err).toBeNull();
    expect(c.sink.spans.at(-1)!.tenantId).toBe('t1');
    const claim = buildExportRequest([{ traceId: fixtureId(9, 16), spanId: fixtureId(1, 8) }], { 'tenant.id': 'other' });
    const r = await grpcExport(c.grpcTarget, claim, md('k1'));
    expect(r.err?.code).toBe(status.PERMISSION_DENIED);
    expect(c.sink.spans.length).toBe(before + 1);
  });

  it('lets a trusted gateway set the tenant per resource', async () => {
    const body = buildExportRequest([{ traceId: fixtureId(10, 16), spanId: fixtureId(1, 8) }], { 'tenant.id': 'acme' });
    expect((await grpcExport(c.grpcTarget, body, md('gw'))).err).toBeNull();
    expect(c.sink.spans.at(-1)!.tenantId).toBe('acme');
  });

  it('answers RESOURCE_EXHAUSTED with RetryInfo / 429 with Retry-After over the quota', async () => {
    // The bucket holds 2 s of rate (10 spans); one 8-span request fits, the next does not.
    expect((await grpcExport(c.grpcTarget, good(8), md('k1'))).err).toBeNull();
    const r = await grpcExport(c.grpcTarget, good(8), md('k1'));
    expect(r.err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((r.err?.metadata.get('grpc-status-details-bin')[0] as Buffer).toString('latin1')).toContain('RetryInfo');
    const h = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer k1' }, body: good(8) });
    expect(h.status).toBe(429);
    expect(Number(h.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
