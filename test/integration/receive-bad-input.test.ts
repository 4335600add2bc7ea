import { deflateSync, gzipSync } from 'node:zlib';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { buildExportRequest, buildExportRequestJson, buildExportRequestJsonObject, fixtureId } from '../support/otlp-fixtures.js';
import { otlpRoot } from '../support/otlp-protobufjs.js';
import { rawBytes, TRACE_EXPORT_PATH } from '../../src/otlp/trace-service.js';
import { decodeRpcStatus } from '../support/rpc-status.js';

const HTTP_MAX = 64 * 1024;
const GRPC_MAX = 256 * 1024;
const MAX_SPANS = 500;

// --- decoders for what comes back: ExportTraceServiceResponse and google.rpc.Status ---
const ResponseType = otlpRoot.lookupType('ExportTraceServiceResponse');
function partialSuccess(body: Uint8Array): { rejectedSpans: number; errorMessage: string } {
  const r = ResponseType.toObject(ResponseType.decode(body), { longs: Number, defaults: true }) as { partialSuccess?: { rejectedSpans: number; errorMessage: string } };
  return r.partialSuccess ?? { rejectedSpans: 0, errorMessage: '' };
}


// --- clients ---
interface GrpcReply {
  err: ServiceError | null;
  body: Buffer | null;
}

function grpcExport(target: string, body: Uint8Array, opts: { compress?: boolean } = {}): Promise<GrpcReply> {
  // grpc.default_compression_algorithm 2 = gzip; the client may send messages larger than the server allows.
  const client = new Client(target, credentials.createInsecure(), opts.compress ? { 'grpc.default_compression_algorithm': 2 } : {});
  return new Promise((resolve) => {
    client.makeUnaryRequest(TRACE_EXPORT_PATH, rawBytes, rawBytes, Buffer.from(body), new Metadata(), (err, res) => {
      client.close();
      resolve({ err: err ?? null, body: res ?? null });
    });
  });
}

async function post(c: TestCollector, body: Uint8Array | string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
const PB = { 'content-type': 'application/x-protobuf' };
const JSON_CT = { 'content-type': 'application/json' };

async function counter(c: TestCollector, name: string, labels: Record<string, string>): Promise<number> {
  const m = await c.collector.registry.getSingleMetric(name)?.get();
  return m?.values.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((s, x) => s + x.value, 0) ?? 0;
}
const requests = (c: TestCollector, transport: string, code: string) => counter(c, 'agenttail_receive_requests_total', { transport, code });

let nextTrace = 100;
/** A valid request of n spans in a fresh trace. */
function good(n = 1): Uint8Array {
  const trace = fixtureId(nextTrace++, 16);
  return buildExportRequest(
    Array.from({ length: n }, (_, i) => ({ traceId: trace, spanId: fixtureId(i + 1, 8), name: `chat ${i}`, attributes: { 'gen_ai.operation.name': 'chat' } })),
    { 'service.name': 'svc' },
  );
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure reproduces. */
function randomBytes(seed: number, n: number): Buffer {
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// --- a hand-encoded request, for shapes protobufjs refuses to write ---
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const ld = (field: number, bytes: number[]): number[] => [(field << 3) | 2, ...varint(bytes.length), ...bytes];
function fixed64(field: number, v: bigint): number[] {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return [(field << 3) | 1, ...b];
}

/** One span whose attribute is an AnyValue of arrays nested `depth` deep. */
function deeplyNestedRequest(depth: number): Buffer {
  // Only length prefixes differ per level: write them inside-out, then emit outermost first (linear, no copying).
  const core = ld(1, [...Buffer.from('x')]); // AnyValue.string_value
  const headers: number[][] = [];
  let len = core.length;
  for (let i = 0; i < depth; i++) {
    const values = [0x0a, ...varint(len)]; // ArrayValue.values (field 1)
    len += values.length;
    const arrayValue = [0x2a, ...varint(len)]; // AnyValue.array_value (field 5)
    len += arrayValue.length;
    headers.push(values, arrayValue);
  }
  const any = [...Buffer.concat(headers.reverse().map((h) => Buffer.from(h))), ...core];
  const startNs = BigInt(Date.now() - 1000) * 1_000_000n;
  const span = [
    ...ld(1, [...Buffer.from(fixtureId(99, 16), 'hex')]),
    ...ld(2, [...Buffer.from(fixtureId(1, 8), 'hex')]),
    ...ld(5, [...Buffer.from('abyss')]),
    ...fixed64(7, startNs),
    ...fixed64(8, startNs + 1_000_000n),
    ...ld(9, [...ld(1, [...Buffer.from('deep')]), ...ld(2, any)]), // KeyValue { key, value }
  ];
  return Buffer.from(ld(1, ld(2, ld(2, span)))); // request { resource_spans { scope_spans { spans } } }
}

describe('OTLP receivers under bad input', () => {
  let c: TestCollector;

  beforeAll(async () => {
    c = await startTestCollector({ config: { receive: { http: { maxBodyBytes: HTTP_MAX }, grpc: { maxMessageBytes: GRPC_MAX }, limits: { maxSpansPerRequest: MAX_SPANS } } } });
  });
  afterAll(async () => c.close());

  /** The receivers still take a good request on both transports. */
  async function expectStillUp(): Promise<void> {
    const before = c.sink.spans.length;
    expect((await grpcExport(c.grpcTarget, good(1))).err).toBeNull();
    expect((await post(c, good(1), PB)).status).toBe(200);
    expect(c.sink.spans.length).toBe(before + 2);
  }

  describe('gRPC Export', () => {
    it('refuses a truncated request with INVALID_ARGUMENT and a google.rpc.Status naming the problem', async () => {
      const before = await requests(c, 'grpc', 'AGT_ERR_MALFORMED_REQUEST');
      const bytes = good(3);
      const r = await grpcExport(c.grpcTarget, bytes.subarray(0, bytes.length - 7));
      expect(r.err?.code).toBe(status.INVALID_ARGUMENT);
      expect(r.err?.details).toMatch(/^AGT_ERR_MALFORMED_REQUEST: /);
      const st = decodeRpcStatus(r.err!.metadata.get('grpc-status-details-bin')[0] as Buffer);
      expect(st.code).toBe(status.INVALID_ARGUMENT);
      expect(st.message).toBe(r.err!.details);
      expect(st.detailTypes).toEqual([]); // not retryable: no RetryInfo
      expect(await requests(c, 'grpc', 'AGT_ERR_MALFORMED_REQUEST')).toBe(before + 1);
      await expectStillUp();
    });

    it('refuses random bytes with INVALID_ARGUMENT every time', async () => {
      const before = await requests(c, 'grpc', 'AGT_ERR_MALFORMED_REQUEST');
      for (let seed = 1; seed <= 8; seed++) {
        const r = await grpcExport(c.grpcTarget, randomBytes(seed, 64 + seed * 37));
        expect(r.err?.code, `seed ${seed}`).toBe(status.INVALID_ARGUMENT);
        expect(r.err?.details).toContain('AGT_ERR_MALFORMED_REQUEST');
      }
      expect(await requests(c, 'grpc', 'AGT_ERR_MALFORMED_REQUEST')).toBe(before + 8);
      await expectStillUp();
    });

    it('refuses a message over receive.grpc.maxMessageBytes with RESOURCE_EXHAUSTED', async () => {
      const before = c.sink.spans.length;
      const big = buildExportRequest([{ traceId: fixtureId(1, 16), spanId: fixtureId(1, 8), attributes: { blob: 'x'.repeat(GRPC_MAX) } }]);
      const r = await grpcExport(c.grpcTarget, big);
      expect(r.err?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(c.sink.spans.length).toBe(before);
      await expectStillUp();
    });

    it('refuses more spans than receive.limits.maxSpansPerRequest with INVALID_ARGUMENT', async () => {
      const before = await requests(c, 'grpc', 'AGT_ERR_LIMIT_EXCEEDED');
      const r = await grpcExport(c.grpcTarget, good(MAX_SPANS + 1));
      expect(r.err?.code).toBe(status.INVALID_ARGUMENT);
      expect(r.err?.details).toContain(`maxSpansPerRequest ${MAX_SPANS}`);
      expect(await requests(c, 'grpc', 'AGT_ERR_LIMIT_EXCEEDED')).toBe(before + 1);
    });

    it('accepts a gzip-compressed message', async () => {
      const before = c.sink.spans.length;
      const r = await grpcExport(c.grpcTarget, good(4), { compress: true });
      expect(r.err).toBeNull();
      expect(partialSuccess(r.body!).rejectedSpans).toBe(0);
      expect(c.sink.spans.length).toBe(before + 4);
    });

    it('answers partial_success for ids of the wrong length and absurd timestamps, and keeps the good span', async () => {
      const trace = fixtureId(7, 16);
      const rejectedBefore = await counter(c, 'agenttail_receive_spans_rejected_total', {});
      const before = c.sink.spans.length;
      const yearNs = 365n * 24n * 3600n * 1_000_000_000n;
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const body = buildExportRequest([
        { traceId: trace, spanId: fixtureId(1, 8), name: 'kept' },
        { traceId: 'abcd', spanId: fixtureId(2, 8) }, // 2-byte trace id
        { traceId: trace, spanId: 'abcdef' }, // 3-byte span id
        { traceId: trace, spanId: fixtureId(4, 8), startTimeUnixNano: 1n, endTimeUnixNano: 2n }, // 1970
        { traceId: trace, spanId: fixtureId(5, 8), startTimeUnixNano: nowNs + 10n * yearNs, endTimeUnixNano: nowNs + 10n * yearNs + 1n }, // 10 years ahead
      ]);
      const r = await grpcExport(c.grpcTarget, body);
      expect(r.err).toBeNull();
      const p = partialSuccess(r.body!);
      expect(p.rejectedSpans).toBe(4);
      expect(p.errorMessage).toContain('traceId is 2 bytes, expected 16');
      expect(p.errorMessage).toContain('spanId is 3 bytes, expected 8');
      expect(c.sink.spans.slice(before).map((s) => s.name)).toEqual(['kept']);
      expect(await counter(c, 'agenttail_receive_spans_rejected_total', {})).toBe(rejectedBefore + 4);
      expect(await counter(c, 'agenttail_receive_spans_rejected_total', { reason: 'trace_id' })).toBeGreaterThanOrEqual(1);
      expect(await counter(c, 'agenttail_receive_spans_rejected_total', { reason: 'span_id' })).toBeGreaterThanOrEqual(1);
      expect(await counter(c, 'agenttail_receive_spans_rejected_total', { reason: 'timestamp' })).toBeGreaterThanOrEqual(2);
    });

    it('answers partial_success for 10,000 attributes, deep AnyValue nesting and non-UTF-8 strings', async () => {
      const trace = fixtureId(8, 16);
      const before = c.sink.spans.length;
      const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
      let deep: Record<string, unknown> = { leaf: 'x' };
      for (let i = 0; i < 20; i++) deep = { nested: deep }; // past maxAnyValueDepth (16)
      const body = buildExportRequest([
        { traceId: trace, spanId: fixtureId(1, 8), attributes: many },
        { traceId: trace, spanId: fixtureId(2, 8), attributes: { deep: deep as never } },
        { traceId: trace, spanId: fixtureId(3, 8), name: 'fine' },
      ]);
      const r = await grpcExport(c.grpcTarget, body);
      expect(r.err).toBeNull();
      const p = partialSuccess(r.body!);
      expect(p.rejectedSpans).toBe(2);
      expect(p.errorMessage).toMatch(/attribute/i);
      expect(p.errorMessage).toMatch(/maxAnyValueDepth/);
      expect(c.sink.spans.slice(before).map((s) => s.name)).toEqual(['fine']);

      // Far deeper than any encoder allows: must not overflow the decoder's stack.
      const abyss = await grpcExport(c.grpcTarget, deeplyNestedRequest(20_000));
      expect(abyss.err).toBeNull();
      expect(partialSuccess(abyss.body!).rejectedSpans).toBe(1);
      expect(await counter(c, 'agenttail_receive_spans_rejected_total', { reason: 'nesting' })).toBeGreaterThanOrEqual(2);

      // Invalid UTF-8 in the span name: patch the bytes of a marker in the encoded request.
      const utf = Buffer.from(buildExportRequest([{ traceId: trace, spanId: fixtureId(4, 8), name: 'MARKERXX' }]));
      const at = utf.indexOf('MARKERXX');
      utf[at + 6] = 0xc3;
      utf[at + 7] = 0x28; // an invalid 2-byte sequence
      const bad = await grpcExport(c.grpcTarget, utf);
      expect(bad.err).toBeNull();
      expect(partialSuccess(bad.body!).rejectedSpans).toBe(1);
      expect(partialSuccess(bad.body!).errorMessage).toMatch(/utf-?8/i);
      expect(await counter(c, 'agenttail_receive_spans_rejected_total', { reason: 'utf8' })).toBeGreaterThanOrEqual(1);
      expect(c.sink.spans.length).toBe(before + 1);
      await expectStillUp();
    });
  });

  describe('POST /v1/traces', () => {
    it('answers 400 with a protobuf google.rpc.Status for truncated and random protobuf', async () => {
      const before = await requests(c, 'http', 'AGT_ERR_MALFORMED_REQUEST');
      const bytes = good(2);
      for (const body of [bytes.subarray(0, bytes.length - 5), randomBytes(42, 300)]) {
        const r = await post(c, body, PB);
        expect(r.status).toBe(400);
        expect(r.headers.get('content-type')).toContain('application/x-protobuf');
        const st = decodeRpcStatus(r.bytes);
        expect(st.code).toBe(status.INVALID_ARGUMENT);
        expect(st.message).toMatch(/^AGT_ERR_MALFORMED_REQUEST: /);
      }
      expect(await requests(c, 'http', 'AGT_ERR_MALFORMED_REQUEST')).toBe(before + 2);
      await expectStillUp();
    });

    it('answers 400 with a JSON error for invalid JSON and for JSON that is not an export request', async () => {
      const before = await requests(c, 'http', 'AGT_ERR_MALFORMED_REQUEST');
      for (const body of ['{"resourceSpans": [', '[1, 2, 3]', '{"resourceSpans": 5}', '\u0000']) {
        const r = await post(c, body, JSON_CT);
        expect(r.status, body).toBe(400);
        const err = JSON.parse(r.bytes.toString('utf8')) as { code: number; message: string; errorCode: string };
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(err.errorCode).toBe('AGT_ERR_MALFORMED_REQUEST');
        expect(err.message).toMatch(/^AGT_ERR_MALFORMED_REQUEST: /);
      }
      const invalid = JSON.parse((await post(c, '{"resourceSpans": [', JSON_CT)).bytes.toString('utf8')) as { message: string };
      expect(invalid.message).toMatch(/invalid JSON at position/);
      expect(await requests(c, 'http', 'AGT_ERR_MALFORMED_REQUEST')).toBe(before + 5);
      await expectStillUp();
    });

    it('answers 415 for a content type other than protobuf or JSON in JSON a person can read (not protobuf), and counts it', async () => {
      const before = await requests(c, 'http', 'AGT_ERR_UNSUPPORTED_MEDIA_TYPE');
      for (const ct of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
        const r = await post(c, 'hello', { 'content-type': ct });
        expect(r.status, ct).toBe(415);
        expect(r.headers.get('content-type'), ct).toMatch(/^application\/json/);
        const err = JSON.parse(r.bytes.toString('utf8')) as { errorCode: string; message: string };
        expect(err.errorCode).toBe('AGT_ERR_UNSUPPORTED_MEDIA_TYPE');
        expect(err.message).toContain(ct.split(';')[0]!);
      }
      expect(await requests(c, 'http', 'AGT_ERR_UNSUPPORTED_MEDIA_TYPE')).toBe(before + 3);
      await expectStillUp();
    });

    it('answers 413 for a body over receive.http.maxBodyBytes, and counts it', async () => {
      const before = await requests(c, 'http', 'AGT_ERR_BODY_TOO_LARGE');
      const big = await post(c, Buffer.alloc(HTTP_MAX * 3, 1), PB);
      expect(big.status).toBe(413);
      expect(decodeRpcStatus(big.bytes).message).toContain('AGT_ERR_BODY_TOO_LARGE');
      const bigJson = await post(c, JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(HTTP_MAX) }), JSON_CT);
      expect(bigJson.status).toBe(413);
      expect((JSON.parse(bigJson.bytes.toString('utf8')) as { errorCode: string }).errorCode).toBe('AGT_ERR_BODY_TOO_LARGE');
      expect(await requests(c, 'http', 'AGT_ERR_BODY_TOO_LARGE')).toBe(before + 2);
      await expectStillUp();
    });

    it('accepts gzip and deflate bodies', async () => {
      const before = c.sink.spans.length;
      expect((await post(c, gzipSync(good(3)), { ...PB, 'content-encoding': 'gzip' })).status).toBe(200);
      expect((await post(c, deflateSync(Buffer.from(buildExportRequestJson([{ traceId: fixtureId(11, 16), spanId: fixtureId(1, 8) }]))), { ...JSON_CT, 'content-encoding': 'deflate' })).status).toBe(200);
      expect(c.sink.spans.length).toBe(before + 4);
    });

    it('refuses a gzip bomb with 413 without inflating it all', async () => {
      const before = await requests(c, 'http', 'AGT_ERR_BODY_TOO_LARGE');
      const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(HTTP_MAX); // small on the wire, 50 MiB inflated
      const r = await post(c, bomb, { ...PB, 'content-encoding': 'gzip' });
      expect(r.status).toBe(413);
      expect(decodeRpcStatus(r.bytes).message).toContain('AGT_ERR_BODY_TOO_LARGE');
      expect(await requests(c, 'http', 'AGT_ERR_BODY_TOO_LARGE')).toBe(before + 1);
      await expectStillUp();
    });

    it('answers 400 for a body that does not decompress and for an unknown Content-Encoding', async () => {
      const before = await requests(c, 'http', 'AGT_ERR_BAD_CONTENT_ENCODING');
      const broken = await post(c, Buffer.from('not gzip at all'), { ...PB, 'content-encoding': 'gzip' });
      expect(broken.status).toBe(400);
      expect(decodeRpcStatus(broken.bytes).message).toContain('AGT_ERR_BAD_CONTENT_ENCODING');
      const cut = gzipSync(good(2));
      const truncated = await post(c, cut.subarray(0, cut.length - 10), { ...PB, 'content-encoding': 'gzip' });
      expect(truncated.status).toBe(400);
      const br = await post(c, good(1), { ...JSON_CT, 'content-encoding': 'br' });
      expect(br.status).toBe(400);
      expect((JSON.parse(br.bytes.toString('utf8')) as { errorCode: string; message: string }).message).toContain('"br"');
      expect(await requests(c, 'http', 'AGT_ERR_BAD_CONTENT_ENCODING')).toBe(before + 3);
      await expectStillUp();
    });

    it('answers 200 with partial_success in JSON for bad ids, naming the span', async () => {
      const before = c.sink.spans.length;
      const obj = buildExportRequestJsonObject([
        { traceId: fixtureId(12, 16), spanId: fixtureId(1, 8), name: 'kept' },
        { traceId: fixtureId(12, 16), spanId: '00' },
      ]);
      const r = await post(c, JSON.stringify(obj), JSON_CT);
      expect(r.status).toBe(200);
      const json = JSON.parse(r.bytes.toString('utf8')) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } };
      expect(json.partialSuccess?.rejectedSpans).toBe('1');
      expect(json.partialSuccess?.errorMessage).toMatch(/spans\[1\]/);
      expect(c.sink.spans.slice(before).map((s) => s.name)).toEqual(['kept']);
    });

    it('answers 200 with partial_success in protobuf for non-UTF-8 strings and an absurd timestamp', async () => {
      const utf = Buffer.from(
        buildExportRequest([
          { traceId: fixtureId(13, 16), spanId: fixtureId(1, 8), name: 'MARKERXX' },
          { traceId: fixtureId(13, 16), spanId: fixtureId(2, 8), startTimeUnixNano: 5n, endTimeUnixNano: 1n },
          { traceId: fixtureId(13, 16), spanId: fixtureId(3, 8), name: 'kept' },
        ]),
      );
      const at = utf.indexOf('MARKERXX');
      utf[at] = 0xff; // 0xff never occurs in UTF-8
      const r = await post(c, utf, PB);
      expect(r.status).toBe(200);
      expect(partialSuccess(r.bytes).rejectedSpans).toBe(2);
    });
  });
});
