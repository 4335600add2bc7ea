/**
 * Real client libraries producing the detectors' patterns (test/integration/clients-detectors.test.ts): the openai
 * client under OpenInference with the undici instrumentation (each HTTP attempt a client span under the model call),
 * and the AI SDK v7 tool loop, each under a registered NodeTracerProvider (batched: these runs pass 30 spans).
 */
import { setSession } from '@arizeai/openinference-core';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { context } from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import * as ai7 from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import { AI_SDK_USAGE, telemetryAndMockModel, withRegisteredProvider } from './client-scenarios.js';

/**
 * `calls` chat completions by the openai client (its own retries: maxRetries 2) in one OpenInference session, against
 * the fake server at `baseURL`; with `undici`, every HTTP attempt is a client span under the model-call span.
 */
export async function runOpenAiSession(exporter: SpanExporter, o: { baseURL: string; sessionId: string; calls: number; undici: boolean }): Promise<void> {
  const run = async (provider: NodeTracerProvider): Promise<void> => {
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
  };
  await withRegisteredProvider(exporter, 'oi-detector-app', run, { batch: true });
}

/**
 * An AI SDK v7 agent whose model asks for the same tool call (same arguments, a new call id each step) until the step
 * limit. `registerTelemetry` is global: once per process.
 */
export async function runAiSdkToolLoop(exporter: SpanExporter, o: { sessionId: string; steps: number }): Promise<{ toolCalls: number }> {
  let toolCalls = 0;
  const run = async (tp: NodeTracerProvider): Promise<void> => {
    const model = telemetryAndMockModel(tp, (step) => ({
      content: [{ type: 'tool-call', toolCallId: `call-${step + 1}`, toolName: 'order_status', input: '{"order":"A-17"}' }],
      finishReason: { unified: 'tool-calls', raw: 'tool_use' },
      usage: AI_SDK_USAGE,
      warnings: [],
    }));
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
  };
  await withRegisteredProvider(exporter, 'vercel-loop-app', run, { batch: true });
  return { toolCalls };
}
