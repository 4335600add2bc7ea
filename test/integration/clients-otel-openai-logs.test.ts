/**
 * The official @opentelemetry/instrumentation-openai with its log events on (captureMessageContent): the chat span
 * over OTLP/HTTP, the prompt and choice events as log records over OTLP/gRPC, against the fake OpenAI server. The
 * events join the chat span's session and are stored beside it, attached to the model-call span.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('openai client instrumented by @opentelemetry/instrumentation-openai with log events', () => {
  let t: TestServer;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    // Keep every session, so the test reads what was stored for the chat call.
    t = await startTestServer({ sampling: { baselineRate: 1 } });
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
    await t.close();
  });

  it('stores the prompt and choice events as log records of the chat span, in its session', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'openai-app' });
    const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${t.httpUrl}/v1/traces` }))] });
    tracerProvider.register();
    const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://${t.grpcTarget}` }) })] });
    const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setLoggerProvider(loggerProvider);
    // The module hook cannot see an ESM import made before it was enabled: apply its patch to the loaded module.
    for (const def of instrumentation.getModuleDefinitions()) def.patch?.({ OpenAI } as never);
    let traceId = '';
    try {
      const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseURL });
      const tracer = tracerProvider.getTracer('app');
      await tracer.startActiveSpan('invoke_agent helper', { attributes: { 'session.id': 'sess-otel-openai', 'gen_ai.operation.name': 'invoke_agent' } }, async (root) => {
        traceId = root.spanContext().traceId;
        await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'what is the refund policy?' }] });
        root.end();
      });
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
    } finally {
      for (const def of instrumentation.getModuleDefinitions()) def.unpatch?.({ OpenAI } as never);
      await loggerProvider.shutdown();
      await tracerProvider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    }
    const q = async <T>(query: string): Promise<T[]> => (await t.server.store.client.query({ query, format: 'JSONEachRow' })).json<T>();
    let rows: { SessionId: string; EventName: string; Body: string; SpanName: string }[] = [];
    // Until both log rows and their span's row are in: a kept session's span rows are a second write (read back from
    // the log), so they can land a flush after the log rows (the test stopped at the log rows and saw no span name).
    for (let i = 0; i < 200 && (rows.length < 2 || rows.some((r) => r.SpanName === '')); i++) {
      rows = await q(
        `SELECT l.SessionId AS SessionId, l.EventName AS EventName, l.Body AS Body, s.SpanName AS SpanName FROM agenttail.logs AS l LEFT JOIN agenttail.spans AS s ON s.SpanId = l.SpanId AND s.TraceId = l.TraceId WHERE l.TraceId = '${traceId}' ORDER BY l.EventName`,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows.map((r) => r.EventName)).toEqual(['gen_ai.choice', 'gen_ai.user.message']);
    for (const r of rows) expect(r).toMatchObject({ SessionId: 'sess-otel-openai', SpanName: 'chat gpt-4o-mini' });
    expect(JSON.parse(rows[1]!.Body)).toEqual({ content: 'what is the refund policy?' });
    expect(JSON.parse(rows[0]!.Body)).toMatchObject({ message: { content: 'hello back' } });
  }, 60_000);
});
