/**
 * Real client libraries producing the detectors' patterns (test/integration/clients-detectors.test.ts): the openai
 * client under OpenInference with the undici instrumentation (each HTTP attempt a client span under the model call),
 * and the AI SDK v7 tool loop. Each registers a NodeTracerProvider for its run and removes it after.
 */
import { setSession } from '@arizeai/openinference-core';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { context, propagation, trace } from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import * as ai7 from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import OpenAI from 'openai';
import { z } from 'zod';
import { AI_SDK_USAGE } from './client-scenarios.js';

async function withProvider(exporter: SpanExporter, serviceName: string, run: (provider: NodeTracerProvider) => Promise<void>): Promise<void> {
  // Batched: a SimpleSpanProcessor exports each span alone, and the OTLP exporters drop exports past 30 in flight.
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 });
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors: [processor] });
  provider.register();
  try {
    await run(provider);
    await provider.forceFlush();
  } finally {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

/**
 * `calls` chat completions by the openai client (its own retries: maxRetries 2) in one OpenInference session, against
 * the fake server at `baseURL`; with `undici`, every HTTP attempt is a client span under the model-call span.
 */
export async function runOpenAiSession(exporter: SpanExporter, o: { baseURL: string; sessionId: string; calls: number; undici: boolean }): Promise<void> {
  await withProvider(exporter, 'oi-detector-app', async (provider) => {
    const openai = new OpenAIInstrumentation();
    openai.setTracerProvider(provider);
    openai.manuallyInstrument(OpenAI);
    const undici = o.undici ? new UndiciInstrumentation() : null;
    undici?.setTracerProvider(provider);
    undici?.enable();
    try {
      const client = new OpenAI({ apiKey: 'test', baseURL: o.baseURL, maxRetries: 2 });
      await context.with(setSession(context.active(), { sessionId: o.sessionId }), async () => {
        for (let i = 0; i < o.calls; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `step ${i}` }] });
      });
    } finally {
      undici?.disable();
      openai.disable();
    }
  });
}

/**
 * An AI SDK v7 agent whose model asks for the same tool call (same arguments, a new call id each step) until the step
 * limit. `registerTelemetry` is global: once per process.
 */
export async function runAiSdkToolLoop(exporter: SpanExporter, o: { sessionId: string; steps: number }): Promise<{ toolCalls: number }> {
  let toolCalls = 0;
  await withProvider(exporter, 'vercel-loop-app', async (tp) => {
    ai7.registerTelemetry(new OpenTelemetry({ tracer: tp.getTracer('ai'), usage: true, runtimeContext: true } as never));
    let step = 0;
    const model = new MockLanguageModelV4({
      provider: 'anthropic.messages',
      modelId: 'claude-sonnet-4-5',
      doGenerate: async () =>
        ({ content: [{ type: 'tool-call', toolCallId: `call-${++step}`, toolName: 'order_status', input: '{"order":"A-17"}' }], finishReason: { unified: 'tool-calls', raw: 'tool_use' }, usage: AI_SDK_USAGE, warnings: [] }) as never,
    });
    await ai7.generateText({
      model,
      prompt: 'where is my order?',
      tools: {
        order_status: ai7.tool({
          inputSchema: z.object({ order: z.string() }),
          execute: async () => {
            toolCalls++;
            return 'still processing';
          },
        }),
      },
      stopWhen: ai7.stepCountIs(o.steps),
      runtimeContext: { sessionId: o.sessionId },
      telemetry: { functionId: 'order-agent', includeRuntimeContext: { sessionId: true } },
    } as never);
  });
  return { toolCalls };
}
