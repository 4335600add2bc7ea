/**
 * The logs Export path shares the traces one: keys, tenants per resource, quotas (one item bucket for spans and
 * records), gzip, and refusals with the same codes. Receivers only, with a recording sink.
 */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgtError } from '../../src/model/errors.js';
import { LOGS_EXPORT_PATH, rawBytes } from '../../src/otlp/trace-service.js';
import { retryable } from '../../src/model/outcome.js';
import { hashApiKey } from '../../src/receive/auth.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { buildExportRequest, fixtureId } from '../support/otlp-fixtures.js';
import { ExportLogsServiceRequestType } from '../support/otlp-logs-protobufjs.js';
import { decodeRpcStatus } from '../support/rpc-status.js';

const KEYS = [
  { sha256: hashApiKey('k1'), tenant: 't1' },
  { sha256: hashApiKey('gw'), tenant: 'gateway', trustedGateway: true },
];

/** A logs request of `n` records under one resource with `resourceAttrs`. */
function logs(n: number, resourceAttrs: Record<string, string> = {}, body = 'hello'): Uint8Array {
  const attributes = Object.entries(resourceAttrs).map(([key, v]) => ({ key, value: { stringValue: v } }));
  const logRecords = Array.from({ length: n }, () => ({ timeUnixNano: Date.now() * 1_000_000, body: { stringValue: body } }));
  return ExportLogsServiceRequestType.encode({ resourceLogs: [{ resource: { attributes }, scopeLogs: [{ logRecords }] }] }).finish();
}

function grpcLogs(target: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<ServiceError | null> {
  const md = new Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  const client = new Client(target, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(LOGS_EXPORT_PATH, rawBytes, rawBytes, Buffer.from(body), md, (err) => {
      client.close();
      resolve(err);
    });
  });
}

describe('OTLP logs receivers with API keys and quotas', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector({ config: { receive: { keys: KEYS, tenantQuotas: { t1: { spansPerSecond: 5, bytesPerSecond: 0 } } } } });
  });
  afterAll(async () => c.close());

  it('refuses a logs request without a key with UNAUTHENTICATED / 401 and takes nothing', async () => {
    const err = await grpcLogs(c.grpcTarget, logs(1));
    expect(err?.code).toBe(status.UNAUTHENTICATED);
    const res = await fetch(`${c.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: logs(1) });
    expect(res.status).toBe(401);
    expect(decodeRpcStatus(Buffer.from(await res.arrayBuffer())).message).toMatch(/^AGT_ERR_UNAUTHENTICATED/);
    expect(c.sink.logEntries).toHaveLength(0);
  });

  it("sets each resource's tenant for a trusted gateway, as for spans, and takes gzip-compressed JSON", async () => {
    const before = c.sink.logEntries.length;
    const resourceLogs = [
      { resource: { attributes: [{ key: 'tenant.id', value: { stringValue: 'acme' } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'for acme' } }] }] },
      { scopeLogs: [{ logRecords: [{ body: { stringValue: 'for gw' } }] }] },
    ];
    const res = await fetch(`${c.httpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-api-key': 'gw' },
      body: gzipSync(JSON.stringify({ resourceLogs })),
    });
    expect(res.status).toBe(200);
    expect(c.sink.logEntries.slice(before).map((e) => `${String(e.record.body)}@${e.tenantId}`)).toEqual(['for acme@acme', 'for gw@gateway']);
  });

  it('refuses a tenant key naming another tenant with PERMISSION_DENIED', async () => {
    const err = await grpcLogs(c.grpcTarget, logs(1, { 'tenant.id': 't2' }), { authorization: 'Bearer k1' });
    expect(err?.code).toBe(status.PERMISSION_DENIED);
    expect(err?.details).toContain('AGT_ERR_TENANT_FORBIDDEN');
  });

  it('counts log records and spans against one item quota: past it, RESOURCE_EXHAUSTED with RetryInfo / 429 with Retry-After', async () => {
    // t1 may burst 10 items (2 s of 5/s): 8 spans, then 4 records do not fit.
    const spans = buildExportRequest(Array.from({ length: 8 }, (_, i) => ({ traceId: fixtureId(700 + i, 16), spanId: fixtureId(800 + i, 8), name: 's', startTimeUnixNano: BigInt(Date.now()) * 1_000_000n, endTimeUnixNano: BigInt(Date.now()) * 1_000_000n })));
    const ok = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-api-key': 'k1' }, body: spans });
    expect(ok.status).toBe(200);
    const err = await grpcLogs(c.grpcTarget, logs(4), { 'x-api-key': 'k1' });
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(decodeRpcStatus(err!.metadata.get('grpc-status-details-bin')[0] as Buffer).retryDelayMs).toBeGreaterThan(0);
    const res = await fetch(`${c.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-api-key': 'k1' }, body: logs(4) });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('passes a sink refusal back retryably (the buffer of waiting records is full)', async () => {
    c.sink.nextOutcome = retryable(new AgtError('AGT_ERR_BUFFER_FULL', 'full', { retryInMs: 2000 }), 2000);
    try {
      const err = await grpcLogs(c.grpcTarget, logs(1), { 'x-api-key': 'gw' });
      expect(err?.code).toBe(status.UNAVAILABLE);
      expect(err?.details).toMatch(/^AGT_ERR_BUFFER_FULL/);
    } finally {
      c.sink.nextOutcome = null;
    }
  });
});
