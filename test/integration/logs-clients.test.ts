import { Metadata, credentials as grpcCredentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGS_EXPORT_PATH, rawBytes } from '../../src/otlp/trace-service.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const MS = 1_000_000n;
let ids = 5000;
const nextId = (bytes: 8 | 16) => fixtureId(++ids, bytes);

/** A session of one trace: a root and a chat call; `error` makes the errors policy keep it. */
function session(sessionId: string, error = false): { traceId: string; rootId: string; chatId: string; spans: FixtureSpan[] } {
  const traceId = nextId(16);
  const rootId = nextId(8);
  const chatId = nextId(8);
  const startNs = BigInt(Date.now() - 5_000) * MS;
  const spans: FixtureSpan[] = [
    { traceId, spanId: rootId, name: 'invoke_agent helper', startTimeUnixNano: startNs, endTimeUnixNano: startNs + 300n * MS, attributes: { 'session.id': sessionId, 'gen_ai.operation.name': 'invoke_agent' } },
    {
      traceId,
      spanId: chatId,
      parentSpanId: rootId,
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: startNs + 10n * MS,
      endTimeUnixNano: startNs + 200n * MS,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10 },
      ...(error ? { status: { code: 2 as const, message: 'model refused' } } : {}),
    },
  ];
  return { traceId, rootId, chatId, spans };
}

describe('OTLP logs from the real OTel logs SDK', () => {
  let t: TestServer;
  const providers: LoggerProvider[] = [];

  /** A logger exporting through `exporter` with a simple (one record per Export) processor. */
  function loggerOf(exporter: LogRecordExporter, service: string) {
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': service }), processors: [new SimpleLogRecordProcessor({ exporter })] });
    providers.push(provider);
    return { logger: provider.getLogger('agent-logs', '1.2.3'), flush: () => provider.forceFlush() };
  }
  const inSpan = (traceId: string, spanId: string) => trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });

  async function sendSpans(spans: FixtureSpan[]): Promise<void> {
    const res = await fetch(`${t.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: buildExportRequest(spans, { 'service.name': 'support-bot' }) });
    expect(res.status).toBe(200);
  }
  const q = async <T>(query: string): Promise<T[]> => (await t.server.store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  /** Polls until `query` gives `n` rows (the writer flushes every 100 ms in tests). */
  async function rows<T>(query: string, n: number): Promise<T[]> {
    for (let i = 0; i < 200; i++) {
      const r = await q<T>(query);
      if (r.length >= n) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    return q<T>(query);
  }
  async function waitDecision(sessionId: string): Promise<boolean> {
    for (let i = 0; i < 200; i++) {
      const r = await q<{ Kept: boolean }>(`SELECT Kept FROM agenttail.sessions FINAL WHERE SessionId = '${sessionId}'`);
      if (r.length > 0) return r[0]!.Kept;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`session ${sessionId} was not decided`);
  }

  beforeAll(async () => {
    // A 3 s idle timeout: the eval record sent right after a session's spans reaches it while it is still open.
    t = await startTestServer({
      sessions: { idleTimeoutMs: 3_000, sweepIntervalMs: 50 },
      sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } },
    });
  });
  afterAll(async () => {
    for (const p of providers) await p.shutdown();
    await t.close();
  });

  it('stores the records of a kept session sent before its spans and after its decision, over gRPC, with the exporter columns', async () => {
    const s = session('logs-kept', true);
    const { logger, flush } = loggerOf(new GrpcLogExporter({ url: `http://${t.grpcTarget}` }), 'support-bot');
    logger.emit({ body: 'calling the model', severityText: 'INFO', severityNumber: 9, attributes: { step: 1 }, context: inSpan(s.traceId, s.chatId) });
    await flush();
    await sendSpans(s.spans);
    expect(await waitDecision('logs-kept')).toBe(true);
    logger.emit({ body: 'after the decision', severityText: 'WARN', severityNumber: 13, context: inSpan(s.traceId, s.rootId) });
    await flush();
    const got = await rows<Record<string, unknown>>(`SELECT * FROM agenttail.logs WHERE TraceId = '${s.traceId}' ORDER BY Timestamp`, 2);
    expect(got.map((r) => r.Body)).toEqual(['calling the model', 'after the decision']);
    expect(got[0]).toMatchObject({ SessionId: 'logs-kept', TenantId: 'default', SpanId: s.chatId, TraceFlags: 1, SeverityText: 'INFO', SeverityNumber: 9, ServiceName: 'support-bot', ScopeName: 'agent-logs', ScopeVersion: '1.2.3', LogAttributes: { step: '1' } });
    expect((got[0]!.ResourceAttributes as Record<string, string>)['service.name']).toBe('support-bot');
  }, 60_000);

  it('counts but does not store the records of a dropped session, over OTLP/HTTP', async () => {
    const s = session('logs-dropped');
    const { logger, flush } = loggerOf(new HttpLogExporter({ url: `${t.httpUrl}/v1/logs` }), 'support-bot');
    logger.emit({ body: 'before the spans', context: inSpan(s.traceId, s.chatId) });
    await flush();
    await sendSpans(s.spans);
    expect(await waitDecision('logs-dropped')).toBe(false);
    logger.emit({ body: 'after the drop', context: inSpan(s.traceId, s.chatId) });
    await flush();
    // A kept session's record sent after both proves the writer ran past this session's records.
    const k = session('logs-kept-2', true);
    await sendSpans(k.spans);
    expect(await waitDecision('logs-kept-2')).toBe(true);
    logger.emit({ body: 'marker', context: inSpan(k.traceId, k.chatId) });
    await flush();
    expect(await rows(`SELECT 1 FROM agenttail.logs WHERE TraceId = '${k.traceId}'`, 1)).toHaveLength(1);
    expect(await q(`SELECT 1 FROM agenttail.logs WHERE TraceId = '${s.traceId}'`)).toEqual([]);
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(Number(/^agenttail_logs_records_total\{outcome="dropped"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('keeps a session on a low gen_ai.evaluation.result log record sent before it ends, and upgrades a dropped one on one sent after, backfilling its earlier records', async () => {
    const { logger, flush } = loggerOf(new GrpcLogExporter({ url: `http://${t.grpcTarget}` }), 'evaluator');
    const evalOf = (score: number) => ({ 'gen_ai.evaluation.name': 'faithfulness', 'gen_ai.evaluation.score.value': score, 'gen_ai.evaluation.explanation': 'made up a refund policy' });

    // The exporter's channel is connected first, so the eval below is not delayed by the connection setup.
    logger.emit({ body: 'evaluator up' });
    await flush();
    const before = session('eval-before');
    await sendSpans(before.spans);
    logger.emit({ eventName: 'gen_ai.evaluation.result', body: 'eval', attributes: evalOf(0.1), context: inSpan(before.traceId, before.chatId) });
    await flush();
    expect(await waitDecision('eval-before')).toBe(true);

    const after = session('eval-after');
    await sendSpans(after.spans);
    expect(await waitDecision('eval-after')).toBe(false);
    // Dropped with its session for now: counted, not stored, until the upgrade reads it back from the log.
    logger.emit({ body: 'answer drafted', context: inSpan(after.traceId, after.chatId) });
    await flush();
    logger.emit({ eventName: 'gen_ai.evaluation.result', body: 'eval', attributes: evalOf(0.2), context: inSpan(after.traceId, after.chatId) });
    await flush();
    const upgraded = await rows<{ Kept: boolean; Reasons: string[] }>(`SELECT Kept, Reasons FROM agenttail.sessions FINAL WHERE SessionId = 'eval-after' AND Kept`, 1);
    expect(upgraded[0]?.Reasons).toContain('upgrade:low_eval');

    const evals = await rows<{ SessionId: string; TraceId: string; Score: number; Source: string }>(`SELECT SessionId, TraceId, Score, Source FROM agenttail.evals WHERE Name = 'faithfulness' AND TraceId IN ('${before.traceId}', '${after.traceId}') ORDER BY Score`, 2);
    expect(evals.map((e) => [e.TraceId, e.Score, e.Source])).toEqual([
      [before.traceId, 0.1, 'log'],
      [after.traceId, 0.2, 'log'],
    ]);
    // The upgraded session's earlier record is backfilled from the write-ahead log.
    expect(await rows<{ SessionId: string }>(`SELECT SessionId FROM agenttail.logs WHERE Body = 'answer drafted' AND TraceId = '${after.traceId}'`, 1)).toEqual([{ SessionId: 'eval-after' }]);
    // Both eval records are stored as logs of their (now kept) sessions.
    const logs = await rows<{ SessionId: string; EventName: string }>(`SELECT SessionId, EventName FROM agenttail.logs WHERE EventName = 'gen_ai.evaluation.result' ORDER BY SessionId`, 2);
    expect(logs).toEqual([
      { SessionId: 'eval-after', EventName: 'gen_ai.evaluation.result' },
      { SessionId: 'eval-before', EventName: 'gen_ai.evaluation.result' },
    ]);
  }, 60_000);

  it('stores a record without trace context outside any session (logs.untraced: store)', async () => {
    const { logger, flush } = loggerOf(new HttpLogExporter({ url: `${t.httpUrl}/v1/logs` }), 'cron');
    logger.emit({ body: 'nightly reindex done', severityText: 'INFO' });
    await flush();
    const got = await rows<{ SessionId: string; TraceId: string }>(`SELECT SessionId, TraceId FROM agenttail.logs WHERE Body = 'nightly reindex done'`, 1);
    expect(got).toEqual([{ SessionId: '', TraceId: '' }]);
  }, 60_000);

  describe('bad payloads', () => {
    it('answers a gRPC LogsService/Export of undecodable bytes with INVALID_ARGUMENT naming the problem', async () => {
      const Client = makeGenericClientConstructor({}, 'LogsService');
      const client = new Client(t.grpcTarget, grpcCredentials.createInsecure());
      try {
        const err = await new Promise<{ code: number; details: string } | null>((resolve) => {
          client.makeUnaryRequest(LOGS_EXPORT_PATH, rawBytes, rawBytes, Buffer.from([0x0a, 0x05, 0x12, 0x01]), new Metadata(), (e) => resolve(e as never));
        });
        expect(err?.code).toBe(3);
        expect(err?.details).toMatch(/^AGT_ERR_MALFORMED_REQUEST: .*(truncated|byte)/);
      } finally {
        client.close();
      }
    });

    it('answers OTLP/JSON with a bad trace id with 200 and partial_success.rejectedLogRecords naming the record', async () => {
      const body = {
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'fine' } }, { traceId: 'abc', body: { stringValue: 'bad' } }] }] }],
      };
      const res = await fetch(`${t.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      const json = (await res.json()) as { partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string } };
      expect(json.partialSuccess?.rejectedLogRecords).toBe('1');
      expect(json.partialSuccess?.errorMessage).toMatch(/resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\]: traceId must be a hex string/);
    });

    it('answers unparsable JSON with 400 naming the position', async () => {
      const res = await fetch(`${t.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs": [' });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { errorCode: string; message: string };
      expect(json.errorCode).toBe('AGT_ERR_MALFORMED_REQUEST');
      expect(json.message).toMatch(/invalid JSON at position/);
    });
  });
});
