import { setSession, setUser } from '@arizeai/openinference-core';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pricer } from '../../src/pricing/pricer.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

describe('openai client instrumented by OpenInference, exported over OTLP/HTTP protobuf', () => {
  let c: TestCollector;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    c = await startTestCollector();
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await c.close();
    await fake.close();
  });

  it('arrives with session, user, model, inclusive input, cache and reasoning parts, and catalog cost', async () => {
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'oi-app' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${c.httpUrl}/v1/traces` }))],
    });
    // register() installs the async context manager that carries the OpenInference session/user context.
    provider.register();
    const instrumentation = new OpenAIInstrumentation();
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(OpenAI);
    const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseURL });
    await context.with(setUser(setSession(context.active(), { sessionId: 'sess-oi' }), { userId: 'user-7' }), async () => {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    });
    await provider.forceFlush();
    await provider.shutdown();
    instrumentation.disable();
    trace.disable();
    context.disable();
    propagation.disable();

    const [span] = await c.sink.waitForSpans(1);
    expect(fake.requests).toBe(1);
    expect(span!.serviceName).toBe('oi-app');
    expect(span!.sessionId).toBe('sess-oi');
    expect(span!.userId).toBe('user-7');
    expect(span!.genai.provider).toBe('openai');
    expect(span!.genai.responseModel ?? span!.genai.requestModel).toMatch(/^gpt-4o-mini/);
    expect(span!.usageRole).toBe('call');
    // OpenInference's prompt count includes cached tokens: inclusive input as reported.
    expect(span!.usage).toMatchObject({ inputTokens: 120, cacheReadTokens: 100, outputTokens: 40, reasoningTokens: 12 });
    const pricer = new Pricer();
    const candidates = [span!.genai.responseModel, span!.genai.requestModel].map(
      (m) => pricer.priceUsage({ model: m, provider: 'openai', usage: span!.usage!, atUnixMs: Date.now() }).costUsd,
    );
    expect(span!.cost.source).toBe('catalog');
    expect(candidates.some((v) => v !== null && Math.abs(v - span!.cost.costUsd!) < 1e-12)).toBe(true);
  });
});
