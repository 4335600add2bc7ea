/**
 * Logs requests are logged before they are answered and replayed on restart like trace requests: a collector that
 * stops without deciding or flushing (its log closed as a crash leaves it) comes back on the same data directory
 * with its held records, stores those of kept sessions once, and writes none twice that it had written before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deepMerge, parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/main/lifecycle.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { crashInProcess } from '../support/server.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const MS = 1_000_000n;
let ids = 9000;
const nextId = (bytes: 8 | 16) => fixtureId(++ids, bytes);

function sessionSpans(sessionId: string, error: boolean): { traceId: string; spanId: string; spans: FixtureSpan[] } {
  const traceId = nextId(16);
  const spanId = nextId(8);
  const startNs = BigInt(Date.now() - 5_000) * MS;
  const spans: FixtureSpan[] = [
    { traceId, spanId, name: 'chat', startTimeUnixNano: startNs, endTimeUnixNano: startNs + 100n * MS, attributes: { 'session.id': sessionId }, ...(error ? { status: { code: 2 as const, message: 'boom' } } : {}) },
  ];
  return { traceId, spanId, spans };
}

function logsJson(traceId: string, spanId: string, bodies: string[]): string {
  const timeUnixNano = String(BigInt(Date.now()) * MS);
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeLogs: [{ logRecords: bodies.map((b) => ({ timeUnixNano, traceId, spanId, body: { stringValue: b } })) }] }] });
}

describe('logs after a crash (restart on the same data directory)', () => {
  let dir: string;
  let running: RunningServer | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agt-logs-crash-'));
  });
  afterEach(async () => {
    await running?.shutdown();
    running = null;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(overrides: Record<string, unknown>): Promise<RunningServer> {
    const config = parseConfig(
      deepMerge(
        {
          dataDir: dir,
          store: { path: join(dir, 'clickhouse'), flushIntervalMs: 100 },
          sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } },
          receive: TEST_RECEIVE,
          wal: { durability: 'fsync', checkpointIntervalMs: 600_000 },
        },
        overrides,
      ),
    );
    return startServer(config, silentLogger());
  }


  const post = async (s: RunningServer, path: string, type: string, body: Uint8Array | string) => {
    const res = await fetch(`http://127.0.0.1:${s.httpPort}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(res.status).toBe(200);
  };
  const q = async <T>(s: RunningServer, query: string): Promise<T[]> => (await s.store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  async function until<T>(s: RunningServer, query: string, n: number): Promise<T[]> {
    for (let i = 0; i < 200; i++) {
      const r = await q<T>(s, query);
      if (r.length >= n) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    return q<T>(s, query);
  }

  it('replays held log records of open sessions: the kept session has them once, the dropped one none', async () => {
    const first = await start({ sessions: { idleTimeoutMs: 600_000, sweepIntervalMs: 50 } });
    const kept = sessionSpans('crash-kept', true);
    const dropped = sessionSpans('crash-dropped', false);
    await post(first, '/v1/logs', 'application/json', logsJson(kept.traceId, kept.spanId, ['k1', 'k2']));
    await post(first, '/v1/traces', 'application/x-protobuf', buildExportRequest([...kept.spans, ...dropped.spans]));
    await post(first, '/v1/logs', 'application/json', logsJson(dropped.traceId, dropped.spanId, ['d1']));
    await crashInProcess(first);

    running = await start({ sessions: { idleTimeoutMs: 200, sweepIntervalMs: 50 } });
    expect(running.recovery?.logRequestsReplayed).toBe(2);
    expect(running.recovery?.requestsReplayed).toBe(1);
    const got = await until<{ Body: string; SessionId: string }>(running, `SELECT Body, SessionId FROM agenttail.logs ORDER BY Body`, 2);
    // The dropped session is decided in the same sweep as the kept one: its absence is checked after the kept rows landed.
    await until(running, `SELECT 1 FROM agenttail.sessions FINAL WHERE SessionId = 'crash-dropped'`, 1);
    expect(got).toEqual([
      { Body: 'k1', SessionId: 'crash-kept' },
      { Body: 'k2', SessionId: 'crash-kept' },
    ]);
    expect(await q(running, `SELECT 1 FROM agenttail.logs WHERE TraceId = '${dropped.traceId}'`)).toEqual([]);
  }, 90_000);

  it('writes a record stored before the crash once, though its request is replayed', async () => {
    const first = await start({ sessions: { idleTimeoutMs: 200, sweepIntervalMs: 50 } });
    const kept = sessionSpans('crash-written', true);
    await post(first, '/v1/traces', 'application/x-protobuf', buildExportRequest(kept.spans));
    await until(first, `SELECT 1 FROM agenttail.sessions FINAL WHERE SessionId = 'crash-written'`, 1);
    await post(first, '/v1/logs', 'application/json', logsJson(kept.traceId, kept.spanId, ['w1']));
    expect(await until(first, `SELECT 1 FROM agenttail.logs WHERE TraceId = '${kept.traceId}'`, 1)).toHaveLength(1);
    await crashInProcess(first);

    running = await start({ sessions: { idleTimeoutMs: 200, sweepIntervalMs: 50 } });
    expect(running.recovery?.logRequestsReplayed).toBe(1);
    // A later kept session's record proves the restarted writer ran.
    const later = sessionSpans('after-restart', true);
    await post(running, '/v1/traces', 'application/x-protobuf', buildExportRequest(later.spans));
    await until(running, `SELECT 1 FROM agenttail.sessions FINAL WHERE SessionId = 'after-restart'`, 1);
    await post(running, '/v1/logs', 'application/json', logsJson(later.traceId, later.spanId, ['later']));
    await until(running, `SELECT 1 FROM agenttail.logs WHERE TraceId = '${later.traceId}'`, 1);
    expect(await q(running, `SELECT Body FROM agenttail.logs WHERE TraceId = '${kept.traceId}'`)).toEqual([{ Body: 'w1' }]);
  }, 90_000);
});
