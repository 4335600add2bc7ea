/**
 * Two collector processes (dist/cli.js) against one ClickHouse-compatible HTTP endpoint over the embedded engine. Each
 * receives one of the two traces of every session, the error in one of them: the instance that drops its half
 * upgrades it from its log when the other's kept decision arrives, or follows it when still buffering. Every span of
 * every session is then stored exactly once and the session row says kept.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttp, type ClickHouseHttp } from '../support/clickhouse-http.js';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const MS = 1_000_000n;
const SPANS_PER_HALF = 4;
let dir: string;
let ch: ClickHouseHttp;
const collectors: CollectorProcess[] = [];
let ids = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agt-shared-'));
  ch = await startClickHouseHttp({ path: join(dir, 'clickhouse'), username: 'agt', password: 'pw' });
});

afterAll(async () => {
  for (const c of collectors) {
    c.child.kill('SIGTERM');
    await c.exited;
  }
  await ch?.close();
  rmSync(dir, { recursive: true, force: true });
});

function configFor(name: string): Record<string, unknown> {
  return {
    dataDir: join(dir, name),
    logLevel: 'info',
    receive: TEST_RECEIVE,
    store: { kind: 'server', server: { url: ch.url, username: 'agt', password: 'pw', database: 'agenttail' }, flushIntervalMs: 100 },
    sessions: { idleTimeoutMs: 300, sweepIntervalMs: 50 },
    // Only errors keep: a half without the error is dropped by its instance unless the other's decision reaches it.
    sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false }, lowEval: { enabled: false } } },
    shared: { instanceId: name, decisions: { intervalMs: 200, settleMs: 100 } },
  };
}

/** One half of a session: a trace of SPANS_PER_HALF spans carrying the session id, its last span an error when `error`. */
function half(sessionId: string, error: boolean): FixtureSpan[] {
  const traceId = fixtureId(++ids, 16);
  const startNs = BigInt(Date.now() - 1_000) * MS;
  return Array.from({ length: SPANS_PER_HALF }, (_, i) => ({
    traceId,
    spanId: fixtureId(++ids, 8),
    name: i === SPANS_PER_HALF - 1 ? 'execute_tool lookup' : 'chat gpt-4o-mini',
    startTimeUnixNano: startNs + BigInt(i) * 10n * MS,
    endTimeUnixNano: startNs + BigInt(i + 1) * 10n * MS,
    attributes: { 'gen_ai.conversation.id': sessionId, 'gen_ai.operation.name': i === SPANS_PER_HALF - 1 ? 'execute_tool' : 'chat' },
    ...(error && i === SPANS_PER_HALF - 1 ? { status: { code: 2 as const, message: 'tool failed' } } : {}),
  }));
}

async function send(c: CollectorProcess, spans: FixtureSpan[]): Promise<void> {
  const res = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: buildExportRequest(spans, { 'service.name': 'split-bot' }) });
  expect(res.status).toBe(200);
}

/** Sum of a series (all label sets matching `labels`) on a collector's /metrics. */
async function metric(c: CollectorProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${c.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      // Say what each collector did: its sharing series and its warnings.
      const state: string[] = [];
      for (const c of collectors) {
        const text = await (await fetch(`${c.httpUrl}/metrics`)).text();
        state.push(text.split('\n').filter((l) => /^agenttail_(shared|sampling_decisions|sessions_upgrades|warm)/.test(l)).join('\n'));
        state.push(c.logs.filter((l) => (l.level as number) >= 40).map((l) => JSON.stringify(l)).join('\n').slice(0, 2_000));
      }
      throw new Error(`timed out waiting for ${what}\n${state.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('shared decisions across two collector processes', () => {
  it('stores every span of every split session exactly once, and the session row says kept', async () => {
    // One at a time: both run the migrations at start.
    const a = await startCollectorProcess(mkdir(join(dir, 'a')), configFor('a'));
    collectors.push(a);
    const b = await startCollectorProcess(mkdir(join(dir, 'b')), configFor('b'));
    collectors.push(b);

    // Halves sent together: both instances decide at once, the dropped half is upgraded from its log afterwards.
    const together = Array.from({ length: 6 }, (_, i) => `together-${i}`);
    for (const [i, id] of together.entries()) {
      await send(a, half(id, i % 2 === 0));
      await send(b, half(id, i % 2 === 1));
    }
    await waitFor('the dropped halves upgraded', async () => (await metric(a, 'agenttail_shared_decisions_read_total', { outcome: 'upgraded' })) + (await metric(b, 'agenttail_shared_decisions_read_total', { outcome: 'upgraded' })) >= together.length);

    // The error half first; the other half arrives after its instance read the kept decision, and follows it.
    const later = Array.from({ length: 4 }, (_, i) => `later-${i}`);
    const readBefore = await metric(b, 'agenttail_shared_decisions_read_total', { outcome: 'held' });
    for (const id of later) await send(a, half(id, true));
    await waitFor('b reading a\'s kept decisions', async () => (await metric(b, 'agenttail_shared_decisions_read_total', { outcome: 'held' })) >= readBefore + later.length);
    for (const id of later) await send(b, half(id, false));
    await waitFor('b following them', async () => (await metric(b, 'agenttail_shared_decisions_followed_total')) >= later.length);

    const reader = createClient({ url: ch.url, username: 'agt', password: 'pw', database: 'agenttail' });
    try {
      const all = [...together, ...later];
      const q = async <T>(query: string): Promise<T[]> => (await reader.query({ query, query_params: { ids: all }, format: 'JSONEachRow' })).json<T>();
      let spans: { SessionId: string; n: string; u: string }[] = [];
      await waitFor('every span stored', async () => {
        spans = await q('SELECT SessionId, count() AS n, uniqExact(TraceId, SpanId) AS u FROM spans WHERE SessionId IN {ids:Array(String)} GROUP BY SessionId ORDER BY SessionId');
        return spans.length === all.length && spans.every((s) => Number(s.n) >= 2 * SPANS_PER_HALF);
      });
      expect(spans.map((s) => [s.SessionId, Number(s.n), Number(s.u)])).toEqual([...all].sort().map((id) => [id, 2 * SPANS_PER_HALF, 2 * SPANS_PER_HALF]));
      const rows = await q<{ SessionId: string; Kept: boolean; Reasons: string[] }>('SELECT SessionId, Kept, Reasons FROM sessions FINAL WHERE SessionId IN {ids:Array(String)} ORDER BY SessionId');
      expect(rows.map((r) => [r.SessionId, r.Kept])).toEqual([...all].sort().map((id) => [id, true]));
      // Each kept session was published once by the instance that kept it on its own.
      const [published] = await q<{ n: string; u: string }>('SELECT count() AS n, uniqExact(TenantId, SessionId) AS u FROM decisions WHERE SessionId IN {ids:Array(String)}');
      expect([Number(published!.n), Number(published!.u)]).toEqual([all.length, all.length]);
    } finally {
      await reader.close();
    }
  });
});

function mkdir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
