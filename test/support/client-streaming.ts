/**
 * Streaming scenarios of real client libraries, for the time-to-first-token tests: the AI SDK's streamText (v6
 * `ai.*` spans and v7 `@ai-sdk/otel` spans) over a mock model whose stream starts after `firstChunkDelayMs`, and the
 * openai client with `stream: true` under OpenInference against the fake OpenAI server.
 */
import { setSession } from '@arizeai/openinference-core';
import { context } from '@opentelemetry/api';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as ai7 from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import * as ai6 from 'ai-v6';
import { MockLanguageModelV3 } from 'ai-v6/test';
import OpenAI from 'openai';
import { AI_SDK_USAGE, withRegisteredProvider } from './client-scenarios.js';

/** The parts of a short streamed answer, as AI SDK language models emit them. */
function streamParts(): unknown[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'resp-s', modelId: 'gpt-4o-mini-2024-07-18', timestamp: new Date() },
    { type: 'text-start', id: 't1' },
    { type: 'text-delta', id: 't1', delta: 'hello ' },
    { type: 'text-delta', id: 't1', delta: 'back' },
    { type: 'text-end', id: 't1' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: AI_SDK_USAGE },
  ];
}

/** A mock model's `doStream`: those parts from `simulate` (either AI SDK's simulateReadableStream), the first after `firstChunkDelayMs`. */
function delayedStream(simulate: typeof ai6.simulateReadableStream | typeof ai7.simulateReadableStream, firstChunkDelayMs: number): () => Promise<never> {
  return async () => ({ stream: simulate({ chunks: streamParts() as never[], initialDelayInMs: firstChunkDelayMs, chunkDelayInMs: 1 }) }) as never;
}

/** AI SDK v6 streamText with experimental_telemetry → ai.streamText + ai.streamText.doStream. */
export async function runVercelV6Stream(exporter: SpanExporter, p: { sessionId: string; firstChunkDelayMs: number }): Promise<void> {
  await withRegisteredProvider(exporter, { 'service.name': 'vercel-stream' }, async (tp) => {
    const model = new MockLanguageModelV3({
      provider: 'openai.chat',
      modelId: 'gpt-4o-mini',
      doStream: delayedStream(ai6.simulateReadableStream, p.firstChunkDelayMs),
    });
    const result = ai6.streamText({
      model,
      prompt: 'hello',
      experimental_telemetry: { isEnabled: true, functionId: 'stream-agent', metadata: { sessionId: p.sessionId }, tracer: tp.getTracer('ai') },
    });
    for await (const delta of result.textStream) void delta;
    await result.consumeStream();
  });
}

/** AI SDK v7 streamText with @ai-sdk/otel registered globally (once per process) → invoke_agent, step, chat spans. */
export async function runVercelV7Stream(exporter: SpanExporter, p: { sessionId: string; firstChunkDelayMs: number }): Promise<void> {
  await withRegisteredProvider(exporter, { 'service.name': 'vercel7-stream', 'cloud.region': 'eu-west-1' }, async (tp) => {
    ai7.registerTelemetry(new OpenTelemetry({ tracer: tp.getTracer('ai'), usage: true, runtimeContext: true } as never));
    const model = new MockLanguageModelV4({
      provider: 'openai.chat',
      modelId: 'gpt-4o-mini',
      doStream: delayedStream(ai7.simulateReadableStream, p.firstChunkDelayMs),
    });
    const result = ai7.streamText({
      model,
      prompt: 'hello',
      runtimeContext: { sessionId: p.sessionId },
      telemetry: { functionId: 'stream-agent', includeRuntimeContext: { sessionId: true } },
    } as never);
    for await (const delta of result.textStream) void delta;
    await result.consumeStream();
  });
}

/** The openai client streaming (`stream: true`, with usage) under OpenInference against the fake server at `baseURL`. */
export async function runOpenInferenceStream(exporter: SpanExporter, p: { sessionId: string; baseURL: string; resource: Record<string, string> }): Promise<void> {
  await withRegisteredProvider(exporter, { 'service.name': 'oi-stream', ...p.resource }, async (tp) => {
    const instrumentation = new OpenAIInstrumentation();
    instrumentation.setTracerProvider(tp);
    instrumentation.manuallyInstrument(OpenAI);
    try {
      const client = new OpenAI({ apiKey: 'test', baseURL: p.baseURL });
      await context.with(setSession(context.active(), { sessionId: p.sessionId }), async () => {
        const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], stream: true, stream_options: { include_usage: true } });
        for await (const chunk of stream) void chunk;
      });
    } finally {
      instrumentation.disable();
    }
  });
}
