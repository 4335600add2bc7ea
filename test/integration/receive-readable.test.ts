/**
 * What the collector says to a person: the start-up line (version, addresses, store, WAL), errors in the request's
 * own format, truncation reported in partial_success and counted, refusals logged as totals, and the shutdown line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLog, type LogCapture } from '../support/log-capture.js';
import { buildExportRequestJson, fixtureId } from '../support/otlp-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const MAX_STRING_BYTES = 1024;

async function counter(t: TestServer, name: string): Promise<number> {
  const m = await t.server.collector.registry.getSingleMetric(name)?.get();
  return m?.values.reduce((s, v) => s + v.value, 0) ?? 0;
}

function post(t: TestServer, body: string, contentType: string): Promise<Response> {
  return fetch(`${t.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

describe('collector lifecycle and readable answers', () => {
  let t: TestServer;
  let cap: LogCapture;

  beforeAll(async () => {
    cap = captureLog();
    // A long idle timeout: the session sent below is still open at shutdown, so the shutdown decides it.
    t = await startTestServer({ sessions: { idleTimeoutMs: 600_000 }, receive: { limits: { maxStringBytes: MAX_STRING_BYTES } } }, { log: cap.log });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('logs at start the version, the bound addresses, the store kind and path, and the WAL directory and durability', () => {
    const [line] = cap.withMsg('agenttail started');
    expect(line).toMatchObject({
      version: VERSION,
      grpc: `127.0.0.1:${t.server.grpcPort}`,
      http: `127.0.0.1:${t.server.httpPort}`,
      store: { kind: 'embedded', path: resolve(t.config.store.path), database: 'agenttail' },
      wal: { durability: 'fsync', dir: resolve(t.dir, 'wal') },
      redaction: { enabled: false },
    });
    expect(cap.lines().some((l) => l.level === 40 && String(l.msg).startsWith('receivers listen on loopback only'))).toBe(true);
  });

  it('answers a non-protobuf request (curl -d) with a JSON error, not protobuf bytes', async () => {
    const res = await post(t, 'hello', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { errorCode: string }).errorCode).toBe('AGT_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('reports a truncated attribute in partial_success.error_message and counts it', async () => {
    const before = await counter(t, 'agenttail_receive_truncated_strings_total');
    const body = buildExportRequestJson([{ traceId: fixtureId(900, 16), spanId: fixtureId(1, 8), name: 'chat', attributes: { 'gen_ai.prompt': 'x'.repeat(MAX_STRING_BYTES * 2) } }], { 'service.name': 'svc' });
    const res = await post(t, body, 'application/json');
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } };
    expect(answer.partialSuccess?.rejectedSpans).toBeUndefined();
    expect(answer.partialSuccess?.errorMessage).toBe(`1 string value(s) longer than receive.limits.maxStringBytes (${MAX_STRING_BYTES} bytes) were truncated`);
    expect(await counter(t, 'agenttail_receive_truncated_strings_total')).toBe(before + 1);
  });

  it('logs refusals as one line per kind with the count, not one line per request', async () => {
    t.server.collector.refusals.flush();
    const seen = cap.withMsg('export requests refused').length;
    for (let i = 0; i < 7; i++) expect((await post(t, 'hello', 'text/plain')).status).toBe(415);
    expect((await post(t, '{"resourceSpans": [', 'application/json')).status).toBe(400);
    expect(cap.withMsg('export requests refused')).toHaveLength(seen); // nothing per request
    t.server.collector.refusals.flush();
    const lines = cap.withMsg('export requests refused').slice(seen);
    expect(lines.map((l) => [l.code, l.requests]).sort()).toEqual([
      ['AGT_ERR_MALFORMED_REQUEST', 1],
      ['AGT_ERR_UNSUPPORTED_MEDIA_TYPE', 7],
    ]);
  });

  it('says at shutdown how many sessions it decided, how many rows it wrote and where the log stands', async () => {
    const body = buildExportRequestJson([{ traceId: fixtureId(901, 16), spanId: fixtureId(1, 8), name: 'chat', attributes: { 'gen_ai.conversation.id': 'shutdown-s1' } }], { 'service.name': 'svc' });
    expect((await post(t, body, 'application/json')).status).toBe(200);
    await t.server.shutdown();
    const [line] = cap.withMsg('shutdown complete');
    expect(line).toBeDefined();
    expect(line!.sessionsDecided).toBeGreaterThanOrEqual(1);
    expect(line!.rowsWritten).toBeGreaterThan(0);
    expect(line!.unwrittenBatches).toBe(0);
    expect((line!.wal as { endLsn: number }).endLsn).toBeGreaterThan(0);
  });
});
