import { OpenTelemetry } from '@ai-sdk/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as ai7 from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import * as ai6 from 'ai-v6';
import { MockLanguageModelV3 } from 'ai-v6/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Pricer } from '../../src/pricing/pricer.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

// Provider-reported usage: 100 input of which 30 cache read and 10 cache write; 50 output of which 10 reasoning.
const usage = { inputTokens: { total: 100, noCache: 60, cacheRead: 30, cacheWrite: 10 }, outputTokens: { total: 50, text: 40, reasoning: 10 } };

function provider(c: TestCollector): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'vercel-app' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: c.grpcUrl }))],
  });
}

describe('Vercel AI SDK telemetry into the receivers (OTLP/gRPC)', () => {
  let c: TestCollector;
  const pricer = new Pricer();
  beforeAll(async () => {
    c = await startTestCollector();
  });
  afterAll(async () => c.close());

  it('v6 legacy ai.* spans: the doGenerate call counts, the wrapper is an aggregate', async () => {
    const tp = provider(c);
    const model = new MockLanguageModelV3({
      provider: 'openai.chat',
      modelId: 'gpt-4o-mini',
      doGenerate: async () => ({
        content: [{ type: 'text', text: 'hi' }],
        finishReason: { unified: 'stop', raw: 'stop' } as never,
        usage: usage as never,
        warnings: [],
        response: { id: 'resp-1', modelId: 'gpt-4o-mini-2024-07-18', timestamp: new Date() },
      }),
    });
    await ai6.generateText({ model, prompt: 'hello', experimental_telemetry: { isEnabled: true, functionId: 'my-agent', metadata: { sessionId: 'sess-v6', userId: 'user-v6' }, tracer: tp.getTracer('ai') } });
    await tp.forceFlush();
    await tp.shutdown();
    const spans = await c.sink.waitForSpans(2);
    const call = spans.find((s) => s.name === 'ai.generateText.doGenerate')!;
    const wrapper = spans.find((s) => s.name === 'ai.generateText')!;
    expect(call.sessionId).toBe('sess-v6');
    expect(call.userId).toBe('user-v6');
    expect(call.usageRole).toBe('call');
    expect(wrapper.usageRole).toBe('aggregate');
    expect(wrapper.cost.costUsd).toBeNull();
    expect(call.genai.provider).toMatch(/openai/);
    expect(call.usage).toMatchObject({ inputTokens: 100, cacheReadTokens: 30, outputTokens: 50 });
    const expected = pricer.priceUsage({ model: 'gpt-4o-mini', provider: 'openai', usage: call.usage!, atUnixMs: Date.now() }).costUsd!;
    expect(Math.abs(call.cost.costUsd! - expected)).toBeLessThan(1e-12);
  });

  it('v7 semconv spans: invoke_agent carries the session, chat spans count, execute_tool names the tool', async () => {
    const before = c.sink.spans.length;
    const tp = provider(c);
    ai7.registerTelemetry(new OpenTelemetry({ tracer: tp.getTracer('ai'), usage: true, runtimeContext: true } as never));
    let n = 0;
    const model = new MockLanguageModelV4({
      provider: 'anthropic.messages',
      modelId: 'claude-sonnet-4-5',
      doGenerate: async () =>
        (n++ === 0
          ? { content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Paris"}' }], finishReason: { unified: 'tool-calls', raw: 'tool_use' }, usage, warnings: [] }
          : { content: [{ type: 'text', text: 'sunny' }], finishReason: { unified: 'stop', raw: 'end_turn' }, usage, warnings: [] }) as never,
    });
    await ai7.generateText({
      model,
      prompt: 'weather?',
      tools: { weather: ai7.tool({ inputSchema: z.object({ city: z.string() }), execute: async () => 'sunny' }) },
      stopWhen: ai7.stepCountIs(3),
      runtimeContext: { sessionId: 'sess-v7', userId: 'user-v7' },
      telemetry: { functionId: 'weather-agent', includeRuntimeContext: { sessionId: true, userId: true } },
    } as never);
    await tp.forceFlush();
    await tp.shutdown();
    await new Promise((r) => setTimeout(r, 200));
    const spans = c.sink.spans.slice(before);
    const agent = spans.find((s) => s.genai.operation === 'invoke_agent')!;
    expect(agent).toBeDefined();
    expect(agent.sessionId).toBe('sess-v7');
    expect(agent.usageRole).not.toBe('call');
    const calls = spans.filter((s) => s.usageRole === 'call');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.traceId).toBe(agent.traceId); // the session joins chat spans through their trace
      expect(call.usage).toMatchObject({ inputTokens: 100, cacheReadTokens: 30, cacheWriteTokens: 10, outputTokens: 50 });
      expect(call.cost.costUsd).toBeGreaterThan(0);
    }
    expect(spans.find((s) => s.genai.operation === 'execute_tool')!.genai.toolName).toBe('weather');
  });
});
