/**
 * The whole collector with a memory cap it is always over (1 byte): Export is refused retryably and counted, and the
 * session buffer, told of the pressure by the receivers' guard (src/main/compose.ts wires the two), decides its open
 * sessions early. test/integration/receive-auth-quota.test.ts covers the answers in detail with an injected RSS.
 */
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawBytes, TRACE_EXPORT_PATH } from '../../src/otlp/trace-service.js';
import { buildExportRequest, fixtureId } from '../support/otlp-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { span, trace } from '../unit/sessions-fixtures.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ receive: { overload: { maxRssBytes: 1 } }, sessions: { idleTimeoutMs: 60_000, sweepIntervalMs: 50 } });
}, 30_000);
afterAll(async () => t?.close());

function grpcExport(body: Uint8Array): Promise<ServiceError | null> {
  const client = new Client(t.grpcTarget, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(TRACE_EXPORT_PATH, rawBytes, rawBytes, Buffer.from(body), (err) => {
      client.close();
      resolve(err ?? null);
    });
  });
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await t.server.collector.registry.getSingleMetric(name)?.get();
  return m?.values.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((s, x) => s + x.value, 0) ?? 0;
}

describe('collector over its memory cap', () => {
  it('refuses Export with UNAVAILABLE / AGT_ERR_MEMORY_LIMIT, counted in /metrics', async () => {
    const err = await grpcExport(buildExportRequest([{ traceId: fixtureId(1, 16), spanId: fixtureId(1, 8), name: 'chat' }], { 'service.name': 'svc' }));
    expect(err?.code).toBe(status.UNAVAILABLE);
    expect(err?.details).toMatch(/^AGT_ERR_MEMORY_LIMIT: collector at its memory limit: RSS [\d.]+ MiB/);
    const text = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^agenttail_receive_requests_total\{transport="grpc",code="AGT_ERR_MEMORY_LIMIT"\} 1$/m);
    expect(text).toMatch(/^agenttail_process_rss_limit_bytes 1$/m);
  });

  it('decides open sessions early, long before their idle timeout', async () => {
    // Spans put in the buffer directly: the receivers refuse everything at this cap.
    for (let i = 0; i < 4; i++) expect((await t.server.buffer.accept([span({ sessionId: `m${i}`, traceId: trace(i + 1) })])).status).toBe('ok');
    const deadline = Date.now() + 5_000;
    while (t.server.buffer.stats().openSessions > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(t.server.buffer.stats().openSessions).toBe(0);
    expect(await metric('agenttail_sessions_decided_total', { trigger: 'early:memory' })).toBe(4);
    expect(await metric('agenttail_sessions_early_decisions_total')).toBe(4);
  });
});
