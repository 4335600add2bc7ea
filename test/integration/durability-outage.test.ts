/**
 * With the write-ahead log on: a ClickHouse outage under load loses nothing (the writer backs off, /readyz says
 * degraded, everything drains when ClickHouse returns, rollups exact), refusals come only past the writer's
 * capacity and are retryable; and a late low eval upgrades a dropped session whose earlier spans are read back
 * from the log and stored whole.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startClickHouseHttp, type ClickHouseHttp } from '../support/clickhouse-http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { SessionLoad } from '../support/session-load.js';

let ch: ClickHouseHttp | undefined;
let server: TestServer | undefined;
let chDir: string | undefined;

afterEach(async () => {
  if (ch) ch.unavailable = false;
  await server?.close();
  await ch?.close();
  if (chDir) rmSync(chDir, { recursive: true, force: true });
  server = ch = chDir = undefined;
});

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${server ? ` (buffer ${JSON.stringify(server.server.buffer.stats())}, outstanding writes ${server.server.store.outstandingWrites})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metric(s: TestServer, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labels) && !line.startsWith('#')) sum += Number(line.split(' ').at(-1));
  return sum;
}

describe('durability with ClickHouse over HTTP', () => {
  it('keeps everything through an outage: degraded readiness, full drain, exact rollups, no duplicates', async () => {
    chDir = mkdtempSync(join(tmpdir(), 'agt-outage-'));
    ch = await startClickHouseHttp({ path: chDir, username: 'agt', password: 'pw' });
    server = await startTestServer({
      store: { kind: 'server', server: { url: ch.url, username: 'agt', password: 'pw', database: 'agenttail', requestTimeoutMs: 2000 }, retry: { initialMs: 20, maxMs: 200, maxAttempts: 2 } },
      sampling: { baselineRate: 0.3 },
    });
    const s = server;
    const load = new SessionLoad(s.grpcTarget);
    for (let i = 0; i < 10; i++) expect(await load.sendSession(i)).toBe(true);

    ch.unavailable = true;
    for (let i = 10; i < 40; i++) expect(await load.sendSession(i)).toBe(true);
    await waitFor('failing inserts', async () => (await metric(s, 'agenttail_store_inserts_failed_total')) > 0);
    const ready = (await (await fetch(`${s.httpUrl}/readyz`)).json()) as { status: string; checks: Record<string, { degraded: boolean }> };
    expect(ready.status).toBe('degraded');
    expect(ready.checks.wal!.degraded).toBe(true);
    // maxAttempts is 2, yet nothing is dropped: with the log on, retryable failures are retried until ClickHouse is back.
    await new Promise((r) => setTimeout(r, 600));
    expect(await metric(s, 'agenttail_store_rows_dropped_total')).toBe(0);

    ch.unavailable = false;
    await waitFor('the drain', () => s.server.buffer.stats().openSessions === 0 && s.server.store.outstandingWrites === 0);
    await waitFor('readiness', async () => ((await (await fetch(`${s.httpUrl}/readyz`)).json()) as { status: string }).status === 'ok');
    await load.close();

    const reader = createClient({ url: ch.url, username: 'agt', password: 'pw', database: 'agenttail' });
    const q = async <T>(query: string): Promise<T[]> => (await reader.query({ query, format: 'JSONEachRow' })).json<T>();
    const [usage] = await q<{ i: string; o: string }>('SELECT sum(InputTokens) AS i, sum(OutputTokens) AS o FROM usage_hourly');
    const sent = load.totals(true);
    expect(Number(usage!.i)).toBe(sent.inputTokens);
    expect(Number(usage!.o)).toBe(sent.outputTokens);
    const [counts] = await q<{ n: string; u: string }>('SELECT count() AS n, uniqExact(TraceId, SpanId) AS u FROM spans');
    expect(Number(counts!.n)).toBe(Number(counts!.u));
    const sessions = await q<{ SessionId: string; Kept: boolean }>('SELECT SessionId, Kept FROM sessions FINAL');
    expect(sessions).toHaveLength(40);
    const kept = sessions.filter((x) => x.Kept).map((x) => x.SessionId);
    const [keptSpans] = await q<{ n: string }>(`SELECT count() AS n FROM spans WHERE SessionId IN (${kept.map((k) => `'${k}'`).join(',')})`);
    expect(Number(keptSpans!.n)).toBe(kept.length * 5);
    await reader.close();
  });

  it('parks rows on disk during an outage, refuses only at the log cap, and the exporter retries into a full drain', async () => {
    chDir = mkdtempSync(join(tmpdir(), 'agt-outage-cap-'));
    ch = await startClickHouseHttp({ path: chDir, username: 'agt', password: 'pw' });
    server = await startTestServer({
      store: {
        kind: 'server',
        server: { url: ch.url, username: 'agt', password: 'pw', database: 'agenttail', requestTimeoutMs: 2000 },
        retry: { initialMs: 20, maxMs: 200, maxAttempts: 2 },
        // Memory for a few sessions' rows only: without the spill the writer would refuse almost at once.
        maxQueueBytes: 200_000,
        batchBytes: 4096,
      },
      sampling: { baselineRate: 1 },
      sessions: { retryAfterMs: 200, maxSessionAgeMs: 2000 },
      wal: { maxDiskBytes: 400_000, segmentBytes: 16_384, checkpointIntervalMs: 100 },
    });
    const s = server;
    ch.unavailable = true;
    const load = new SessionLoad(s.grpcTarget);
    const sending = (async () => {
      for (let i = 0; i < 150; i++) await load.sendSession(i);
    })();
    await waitFor('refusals at the log cap', async () => (await metric(s, 'agenttail_sessions_refusals_total', 'reason="wal"')) > 0, 40_000);
    expect(await metric(s, 'agenttail_store_spilled_batches_total')).toBeGreaterThan(0);
    // The writer's memory cap was never what refused: rows went to disk instead.
    expect(await metric(s, 'agenttail_sessions_refusals_total', 'reason="writer"')).toBe(0);
    ch.unavailable = false;
    await sending;
    await waitFor('the drain', () => s.server.buffer.stats().openSessions === 0 && s.server.store.outstandingWrites === 0, 40_000);
    expect(await metric(s, 'agenttail_store_spilled_bytes')).toBe(0);
    await load.close();
    const reader = createClient({ url: ch.url, username: 'agt', password: 'pw', database: 'agenttail' });
    const [usage] = await (await reader.query({ query: 'SELECT sum(InputTokens) AS i FROM usage_hourly', format: 'JSONEachRow' })).json<{ i: string }>();
    // What the exporter reports acknowledged (it retried refused requests on their RetryInfo) is stored exactly once.
    expect(Number(usage!.i)).toBe(load.totals(true).inputTokens);
    expect(load.totals(true).spans).toBeGreaterThan(0);
    const [counts] = await (await reader.query({ query: 'SELECT count() AS n, uniqExact(TraceId, SpanId) AS u FROM spans', format: 'JSONEachRow' })).json<{ n: string; u: string }>();
    expect(Number(counts!.n)).toBe(Number(counts!.u));
    await reader.close();
  }, 90_000);
});

describe('late low eval within retention', () => {
  it("upgrades a dropped session and stores its whole span tree, earlier spans read back from the log", async () => {
    server = await startTestServer({
      sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } },
    });
    const s = server;
    const load = new SessionLoad(s.grpcTarget);
    // Session 1 has no error (i % 5 !== 0) and baseline is 0: it is dropped.
    expect(await load.sendSession(1)).toBe(true);
    await load.close();
    await waitFor('the decision', () => s.server.buffer.stats().openSessions === 0);
    await waitFor('the write', () => s.server.store.outstandingWrites === 0);
    const before = (await (await fetch(`${s.httpUrl}/api/v1/sessions/sess-1`)).json()) as { kept: boolean; spans: unknown[] };
    expect(before.kept).toBe(false);
    expect(before.spans).toEqual([]);

    const res = await fetch(`${s.httpUrl}/v1/evals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sessionId: 'sess-1', name: 'helpfulness', score: 0.05 }) });
    expect(res.status).toBe(200);
    await s.server.buffer.settled();
    await waitFor('the upgrade write', () => s.server.store.outstandingWrites === 0);
    const after = (await (await fetch(`${s.httpUrl}/api/v1/sessions/sess-1`)).json()) as { kept: boolean; reasons: string[]; spans: unknown[] };
    expect(after.kept).toBe(true);
    expect(after.reasons).toContain('upgrade:low_eval');
    const sent = load.requests.flatMap((r) => r.spans.map((x) => x.spanId)).sort();
    const stored = JSON.stringify(after.spans);
    for (const id of sent) expect(stored).toContain(id);
    expect(await metric(s, 'agenttail_sessions_backfilled_spans_total')).toBe(5);
  });
});
