/**
 * Log records stored once under at-least-once delivery: one logs export of the real OTel logs SDK delivered again
 * while its session is open, after its decision and after a restart on the same data directory is stored once, and
 * the evaluation it carries is counted once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deepMerge, parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/main/lifecycle.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const MS = 1_000_000n;
let ids = 17_000;
const nextId = (bytes: 8 | 16) => fixtureId(++ids, bytes);

/** A session of one trace whose chat call failed (kept by the errors policy). */
function keptSession(sessionId: string): { traceId: string; spanId: string; spans: FixtureSpan[] } {
  const traceId = nextId(16);
  const spanId = nextId(8);
  const startNs = BigInt(Date.now() - 5_000) * MS;
  return {
    traceId,
    spanId,
    spans: [{ traceId, spanId, name: 'chat gpt-4o-mini', kind: 3, startTimeUnixNano: startNs, endTimeUnixNano: startNs + 100n * MS, attributes: { 'session.id': sessionId, 'gen_ai.operation.name': 'chat' }, status: { code: 2 as const, message: 'boom' } }],
  };
}

/** The records the SDK made, captured once so the same export can be delivered again and again. */
async function sdkRecords(traceId: string, spanId: string, bodies: string[]): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'support-bot' }), processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('agent-logs', '1.0.0');
  const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  for (const body of bodies) logger.emit({ body, severityText: 'INFO', severityNumber: 9, attributes: { step: body.length }, context });
  logger.emit({
    eventName: 'gen_ai.evaluation.result',
    body: 'eval',
    attributes: { 'gen_ai.evaluation.name': 'groundedness', 'gen_ai.evaluation.score.value': 0.9, 'gen_ai.evaluation.explanation': 'cites the order page' },
    context,
  });
  await provider.forceFlush();
  return memory.getFinishedLogRecords();
}

async function deliver(exporter: LogRecordExporter, records: ReadableLogRecord[]): Promise<void> {
  const result = await new Promise<ExportResult>((resolve) => exporter.export(records, resolve));
  expect(result.code).toBe(ExportResultCode.SUCCESS);
}

describe('log records delivered again (open, decided, after a restart)', () => {
  let dir: string;
  let running: RunningServer | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agt-logs-redeliver-'));
  });
  afterEach(async () => {
    await running?.shutdown();
    running = null;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<RunningServer> {
    const config = parseConfig(
      deepMerge({
        dataDir: dir,
        store: { path: join(dir, 'clickhouse'), flushIntervalMs: 100 },
        sessions: { idleTimeoutMs: 2_000, sweepIntervalMs: 50 },
        sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } },
        receive: TEST_RECEIVE,
        wal: { durability: 'fsync' },
      }, {}),
    );
    running = await startServer(config, silentLogger());
    return running;
  }
  const q = async <T>(s: RunningServer, query: string): Promise<T[]> => (await s.store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  async function until<T>(s: RunningServer, query: string, n: number): Promise<T[]> {
    for (let i = 0; i < 300; i++) {
      const r = await q<T>(s, query);
      if (r.length >= n) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    return q<T>(s, query);
  }
  const metric = async (s: RunningServer, line: RegExp): Promise<number> => Number(line.exec(await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text())?.[1] ?? 0);

  it('stores the records of one export delivered four times once, and counts its evaluation once (regression: stored three times)', async () => {
    let s = await start();
    const session = keptSession('redelivered-logs');
    const res = await fetch(`http://127.0.0.1:${s.httpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: buildExportRequest(session.spans, { 'service.name': 'support-bot' }) });
    expect(res.status).toBe(200);
    const records = await sdkRecords(session.traceId, session.spanId, ['calling the model', 'tool failed']);
    const grpc = new GrpcLogExporter({ url: `http://127.0.0.1:${s.grpcPort}` });
    // Twice while the session is open (idle timeout 2 s), once after its decision.
    await deliver(grpc, records);
    await deliver(grpc, records);
    expect(await until(s, "SELECT Kept FROM agenttail.sessions FINAL WHERE SessionId = 'redelivered-logs' AND Kept", 1)).toHaveLength(1);
    await deliver(grpc, records);
    await grpc.shutdown();
    const logsOf = `SELECT Body, SessionId FROM agenttail.logs WHERE TraceId = '${session.traceId}' ORDER BY Body`;
    expect(await until(s, logsOf, 3)).toEqual([
      { Body: 'calling the model', SessionId: 'redelivered-logs' },
      { Body: 'eval', SessionId: 'redelivered-logs' },
      { Body: 'tool failed', SessionId: 'redelivered-logs' },
    ]);
    expect(await metric(s, /^agenttail_logs_records_total\{outcome="duplicate"\} (\d+)$/m)).toBe(6);
    expect(await metric(s, /^agenttail_logs_evals_total (\d+)$/m)).toBe(1);

    // After a restart on the same data directory, over OTLP/HTTP this time.
    await s.shutdown();
    running = null;
    s = await start();
    const http = new HttpLogExporter({ url: `http://127.0.0.1:${s.httpPort}/v1/logs` });
    await deliver(http, records);
    // A record of the same trace sent after it proves the writer has run past the re-delivery.
    await deliver(http, (await sdkRecords(session.traceId, session.spanId, ['marker'])).slice(0, 1));
    await http.shutdown();
    expect(await until(s, `SELECT 1 FROM agenttail.logs WHERE TraceId = '${session.traceId}' AND Body = 'marker'`, 1)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    expect((await q<{ Body: string }>(s, logsOf)).map((r) => r.Body)).toEqual(['calling the model', 'eval', 'marker', 'tool failed']);
    // The restart replays the logged re-deliveries too (counted again in this process), then this one.
    expect(await metric(s, /^agenttail_logs_records_total\{outcome="duplicate"\} (\d+)$/m)).toBeGreaterThanOrEqual(3);
    expect(await q(s, "SELECT SessionId, Score FROM agenttail.evals WHERE Name = 'groundedness'")).toEqual([{ SessionId: 'redelivered-logs', Score: 0.9 }]);
  }, 90_000);
});
