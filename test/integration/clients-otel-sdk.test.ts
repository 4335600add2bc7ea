import { Metadata } from '@grpc/grpc-js';
import { context, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { Pricer } from '../../src/pricing/pricer.js';
import { hashApiKey } from '../../src/receive/auth.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

const pricer = new Pricer();

/** One agent turn with GenAI semconv attributes: invoke_agent → chat (with cached tokens) → execute_tool. */
async function agentTurn(exporter: SpanExporter, sessionId: string): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer('test-agent', '1.0.0');
  const root = tracer.startSpan('invoke_agent support', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': sessionId } });
  const ctx = trace.setSpan(context.active(), root);
  const chat = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: 2,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.conversation.id': sessionId,
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 300,
      },
    },
    ctx,
  );
  chat.end();
  const tool = tracer.startSpan('execute_tool get_order', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_order', 'gen_ai.tool.call.id': 'call_1' } }, ctx);
  tool.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
}

function expectNormalized(c: TestCollector, sessionId: string, tenant = 'default'): void {
  const spans = c.sink.spans.filter((s) => s.traceId === c.sink.spans.find((x) => x.sessionId === sessionId)?.traceId);
  expect(spans).toHaveLength(3);
  const chat = spans.find((s) => s.name === 'chat gpt-4o-mini')!;
  expect(chat.tenantId).toBe(tenant);
  expect(chat.serviceName).toBe('support-bot');
  expect(chat.sessionId).toBe(sessionId);
  expect(chat.genai.provider).toBe('openai');
  expect(chat.genai.requestModel).toBe('gpt-4o-mini');
  expect(chat.usageRole).toBe('call');
  expect(chat.usage).toMatchObject({ inputTokens: 1200, cacheReadTokens: 1000, outputTokens: 300 });
  const expected = pricer.priceUsage({ model: 'gpt-4o-mini', provider: 'openai', usage: chat.usage!, atUnixMs: Date.now() }).costUsd!;
  expect(expected).toBeGreaterThan(0);
  expect(Math.abs(chat.cost.costUsd! - expected)).toBeLessThan(1e-12);
  expect(chat.cost.source).toBe('catalog');
  const tool = spans.find((s) => s.name === 'execute_tool get_order')!;
  expect(tool.genai.toolName).toBe('get_order');
  expect(tool.genai.toolCallId).toBe('call_1');
  expect(tool.parentSpanId).toBe(spans.find((s) => s.name === 'invoke_agent support')!.spanId);
}

describe('OpenTelemetry JS SDK exporters into the receivers', () => {
  let c: TestCollector | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('gRPC exporter, plain and gzip', async () => {
    c = await startTestCollector();
    await agentTurn(new GrpcExporter({ url: c.grpcUrl }), 'sess-grpc');
    await agentTurn(new GrpcExporter({ url: c.grpcUrl, compression: 'gzip' as never } /* CompressionAlgorithm.GZIP: otlp-exporter-base is only transitive */), 'sess-grpc-gzip');
    await c.sink.waitForSpans(6);
    expectNormalized(c, 'sess-grpc');
    expectNormalized(c, 'sess-grpc-gzip');
  });

  it('gRPC exporter with an API key in metadata writes the key tenant', async () => {
    c = await startTestCollector({ config: { receive: { keys: [{ sha256: hashApiKey('secret-1'), tenant: 't1' }] } } });
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer secret-1');
    await agentTurn(new GrpcExporter({ url: c.grpcUrl, metadata }), 'sess-key');
    await c.sink.waitForSpans(3);
    expectNormalized(c, 'sess-key', 't1');
  });

  it('HTTP exporter (OTLP/JSON) and proto exporter', async () => {
    c = await startTestCollector();
    await agentTurn(new HttpJsonExporter({ url: `${c.httpUrl}/v1/traces` }), 'sess-json');
    await agentTurn(new ProtoExporter({ url: `${c.httpUrl}/v1/traces`, headers: {} }), 'sess-proto');
    await c.sink.waitForSpans(6);
    expectNormalized(c, 'sess-json');
    expectNormalized(c, 'sess-proto');
  });
});
