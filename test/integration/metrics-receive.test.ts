/**
 * The metrics Export path shares the traces and logs one: keys, tenants per resource, the one item quota (a data
 * point costs what a span costs), and refusals with the same codes. Receivers only, with a recording sink.
 */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgtError } from '../../src/model/errors.js';
import { ExportMetricsServiceRequest } from '../../src/otlp/metrics-proto.js';
import { METRICS_EXPORT_PATH, rawBytes } from '../../src/otlp/trace-service.js';
import { retryable } from '../../src/model/outcome.js';
import { hashApiKey } from '../../src/receive/auth.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { decodeRpcStatus } from '../support/rpc-status.js';

const KEYS = [
  { sha256: hashApiKey('k1'), tenant: 't1' },
  { sha256: hashApiKey('gw'), tenant: 'gateway', trustedGateway: true },
];

/** A request of `n` gauge points under one resource with `resourceAttrs`. */
function gauges(n: number, resourceAttrs: Record<string, string> = {}): Uint8Array {
  const attributes = Object.entries(resourceAttrs).map(([key, v]) => ({ key, value: { stringValue: v } }));
  const timeUnixNano = String(BigInt(Date.now()) * 1_000_000n);
  const dataPoints = Array.from({ length: n }, (_, i) => ({ timeUnixNano, asDouble: i, attributes: [{ key: 'i', value: { intValue: i } }] }));
  const req = { resourceMetrics: [{ resource: { attributes }, scopeMetrics: [{ metrics: [{ name: 'queue.depth', gauge: { dataPoints } }] }] }] };
  return ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(req)).finish();
}

function grpcMetrics(target: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<ServiceError | null> {
  const md = new Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  const client = new Client(target, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(METRICS_EXPORT_PATH, rawBytes, rawBytes, Buffer.from(body), md, (err) => {
      client.close();
      resolve(err);
    });
  });
}

describe('OTLP metrics receivers with API keys and quotas', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector({ config: { receive: { keys: KEYS, tenantQuotas: { t1: { spansPerSecond: 5, bytesPerSecond: 0 } } } } });
  });
  afterAll(async () => c.close());

  it('refuses a metrics request without a key with UNAUTHENTICATED / 401 and takes nothing', async () => {
    const err = await grpcMetrics(c.grpcTarget, gauges(1));
    expect(err?.code).toBe(status.UNAUTHENTICATED);
    const res = await fetch(`${c.httpUrl}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: gauges(1) });
    expect(res.status).toBe(401);
    expect(decodeRpcStatus(Buffer.from(await res.arrayBuffer())).message).toMatch(/^AGT_ERR_UNAUTHENTICATED/);
    expect(c.sink.metricRows).toHaveLength(0);
  });

  it("sets each resource's tenant for a trusted gateway, and refuses a tenant key naming another with PERMISSION_DENIED", async () => {
    expect(await grpcMetrics(c.grpcTarget, gauges(2, { 'tenant.id': 'acme' }), { 'x-api-key': 'gw' })).toBeNull();
    expect(c.sink.metricRows.map((r) => [r.table, r.row.TenantId, r.row.Attributes])).toEqual([
      ['otel_metrics_gauge', 'acme', { i: '0' }],
      ['otel_metrics_gauge', 'acme', { i: '1' }],
    ]);
    const err = await grpcMetrics(c.grpcTarget, gauges(1, { 'tenant.id': 't2' }), { authorization: 'Bearer k1' });
    expect(err?.code).toBe(status.PERMISSION_DENIED);
    expect(err?.details).toContain('AGT_ERR_TENANT_FORBIDDEN');
  });

  it('counts data points against the tenant\'s item quota: past it, RESOURCE_EXHAUSTED with RetryInfo / 429 with Retry-After', async () => {
    // t1 may burst 10 items (2 s of 5/s): 8 points fit, 4 more do not.
    expect(await grpcMetrics(c.grpcTarget, gauges(8), { 'x-api-key': 'k1' })).toBeNull();
    const err = await grpcMetrics(c.grpcTarget, gauges(4), { 'x-api-key': 'k1' });
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(decodeRpcStatus(err!.metadata.get('grpc-status-details-bin')[0] as Buffer).retryDelayMs).toBeGreaterThan(0);
    const res = await fetch(`${c.httpUrl}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-api-key': 'k1' }, body: gauges(4) });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('passes a writer refusal back retryably (the store queues are full)', async () => {
    c.sink.nextOutcome = retryable(new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'full', { retryInMs: 2000 }), 2000);
    try {
      const err = await grpcMetrics(c.grpcTarget, gauges(1), { 'x-api-key': 'gw' });
      expect(err?.code).toBe(status.UNAVAILABLE);
      expect(err?.details).toMatch(/^AGT_ERR_WRITER_BACKPRESSURE/);
      const res = await fetch(`${c.httpUrl}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'gw' }, body: '{"resourceMetrics":[]}' });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBe(2);
    } finally {
      c.sink.nextOutcome = null;
    }
  });
});
