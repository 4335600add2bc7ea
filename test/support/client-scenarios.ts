/**
 * One scenario per real client library, each run into a SpanExporter handed in: the live socket tests
 * export to the receivers, test/fixtures/clients/capture.ts exports to a capture endpoint. Every
 * scenario flushes and shuts its provider down and undoes any global registration it made, so the
 * next scenario in the same process starts clean.
 */
import { setSession, setUser } from '@arizeai/openinference-core';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { LangfuseSpanProcessor } from '@langfuse/otel';
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import * as traceloop from '@traceloop/node-server-sdk';
import * as ai7 from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import * as ai6 from 'ai-v6';
import { MockLanguageModelV3 } from 'ai-v6/test';
import OpenAI from 'openai';
import { z } from 'zod';

/** Session and user ids every scenario puts on its spans. */
export interface ScenarioIds {
  sessionId: string;
  userId: string;
}

/**
 * A NodeTracerProvider registered globally (as NodeSDK or @vercel/otel would), and the undo of that registration.
 * `resource`: the service name, or the resource attributes in full. `batch`: a BatchSpanProcessor, for runs of more
 * than 30 spans (a SimpleSpanProcessor exports each span alone, and the OTLP exporters drop exports past 30 in flight).
 */
export async function withRegisteredProvider(
  exporter: SpanExporter,
  resource: string | Record<string, string>,
  run: (provider: NodeTracerProvider) => Promise<void>,
  opts: { batch?: boolean } = {},
): Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes(typeof resource === 'string' ? { 'service.name': resource } : resource),
    spanProcessors: [opts.batch ? new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 }) : new SimpleSpanProcessor(exporter)],
  });
  // register() installs the async-hooks context manager: without it, the AI SDK v6 model-call span and
  // OpenInference's session context lose their parent context.
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
 * Plain OTel JS SDK with hand-set GenAI semconv attributes: invoke_agent → chat (1200 input incl. 1000
 * cache read, 300 output, 80 reasoning) → execute_tool, and a gen_ai.evaluation.result event on the root.
 */
export async function runOtelSdkAgentTurn(exporter: SpanExporter, ids: ScenarioIds): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer('test-agent', '1.0.0');
  const root = tracer.startSpan('invoke_agent support', {
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': ids.sessionId, 'user.id': ids.userId },
  });
  const ctx = trace.setSpan(context.active(), root);
  const chat = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: 2, // CLIENT
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.conversation.id': ids.sessionId,
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.reasoning.output_tokens': 80,
      },
    },
    ctx,
  );
  chat.end();
  const tool = tracer.startSpan(
    'execute_tool get_order',
    { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_order', 'gen_ai.tool.call.id': 'call_1' } },
    ctx,
  );
  tool.end();
  root.addEvent('gen_ai.evaluation.result', {
    'gen_ai.evaluation.name': 'helpfulness',
    'gen_ai.evaluation.score.value': 0.25,
    'gen_ai.evaluation.score.label': 'unhelpful',
    'gen_ai.evaluation.explanation': 'did not answer the order question',
  });
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
}

/**
 * The openai client, instrumented by OpenInference, calling the fake OpenAI server at `baseURL` once;
 * `stream` streams the answer, with (`'with-usage'`) or without the final usage chunk.
 */
export async function runOpenInferenceChat(exporter: SpanExporter, ids: ScenarioIds & { baseURL: string; stream?: 'with-usage' | 'no-usage' }): Promise<void> {
  await withRegisteredProvider(exporter, 'oi-app', async (provider) => {
    const instrumentation = new OpenAIInstrumentation();
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(OpenAI);
    try {
      const client = new OpenAI({ apiKey: 'test', baseURL: ids.baseURL });
      await context.with(setUser(setSession(context.active(), { sessionId: ids.sessionId }), { userId: ids.userId }), async () => {
        const messages = [{ role: 'user' as const, content: 'hello' }];
        if (!ids.stream) {
          await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
          return;
        }
        const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, ...(ids.stream === 'with-usage' ? { stream_options: { include_usage: true } } : {}) });
        for await (const chunk of stream) void chunk; // the instrumentation ends the span when the stream is drained
      });
    } finally {
      instrumentation.disable();
    }
  });
}

/** Provider-reported usage for the AI SDK mocks: 100 input (60 uncached, 30 cache read, 10 cache write); 50 output (10 reasoning). */
export const AI_SDK_USAGE = { inputTokens: { total: 100, noCache: 60, cacheRead: 30, cacheWrite: 10 }, outputTokens: { total: 50, text: 40, reasoning: 10 } };

/** Vercel AI SDK v6 (`ai-v6`): generateText with experimental_telemetry → ai.generateText + ai.generateText.doGenerate. */
export async function runVercelV6(exporter: SpanExporter, ids: ScenarioIds): Promise<void> {
  await withRegisteredProvider(exporter, 'vercel-app', async (tp) => {
    const model = new MockLanguageModelV3({
      provider: 'openai.chat',
      modelId: 'gpt-4o-mini',
      doGenerate: async () => ({
        content: [{ type: 'text', text: 'hi' }],
        finishReason: { unified: 'stop', raw: 'stop' } as never,
        usage: AI_SDK_USAGE as never,
        warnings: [],
        response: { id: 'resp-1', modelId: 'gpt-4o-mini-2024-07-18', timestamp: new Date() },
      }),
    });
    await ai6.generateText({
      model,
      prompt: 'hello',
      experimental_telemetry: { isEnabled: true, functionId: 'my-agent', metadata: { sessionId: ids.sessionId, userId: ids.userId }, tracer: tp.getTracer('ai') },
    });
  });
}

/**
 * Vercel AI SDK v7 (`ai` + `@ai-sdk/otel`): a two-step tool loop (tool call, then text) →
 * invoke_agent, two chat spans, execute_tool. The telemetry integration is registered globally by
 * `registerTelemetry`, so this scenario runs at most once per process.
 */
/**
 * Registers the AI SDK v7 telemetry integration on `tp` (global: once per process) and returns a mock Claude model
 * whose n-th call (0-based) answers `answer(n)`.
 */
export function telemetryAndMockModel(tp: NodeTracerProvider, answer: (step: number) => unknown): MockLanguageModelV4 {
  // The options type of @ai-sdk/otel 1.0.173 does not list usage/runtimeContext although the code reads them.
  ai7.registerTelemetry(new OpenTelemetry({ tracer: tp.getTracer('ai'), usage: true, runtimeContext: true } as never));
  let step = 0;
  return new MockLanguageModelV4({ provider: 'anthropic.messages', modelId: 'claude-sonnet-4-5', doGenerate: async () => answer(step++) as never });
}

export async function runVercelV7(exporter: SpanExporter, ids: ScenarioIds): Promise<void> {
  await withRegisteredProvider(exporter, 'vercel-app', async (tp) => {
    const model = telemetryAndMockModel(tp, (step) =>
      step === 0
        ? { content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Paris"}' }], finishReason: { unified: 'tool-calls', raw: 'tool_use' }, usage: AI_SDK_USAGE, warnings: [] }
        : { content: [{ type: 'text', text: 'sunny' }], finishReason: { unified: 'stop', raw: 'end_turn' }, usage: AI_SDK_USAGE, warnings: [] },
    );
    await ai7.generateText({
      model,
      prompt: 'weather?',
      tools: { weather: ai7.tool({ inputSchema: z.object({ city: z.string() }), execute: async () => 'sunny' }) },
      stopWhen: ai7.stepCountIs(3),
      runtimeContext: { sessionId: ids.sessionId, userId: ids.userId },
      telemetry: { functionId: 'weather-agent', includeRuntimeContext: { sessionId: true, userId: true } },
    } as never);
  });
}

/**
 * OpenLLMetry (@traceloop/node-server-sdk): workflow → agent → (openai chat against the fake server,
 * tool, streamed chat with include_usage), with association properties session_id/user_id. `initialize` is global: once per process.
 */
export async function runTraceloop(exporter: SpanExporter, ids: ScenarioIds & { baseURL: string }): Promise<void> {
  traceloop.initialize({
    appName: 'tl-app',
    exporter: exporter as never, // the SDK's own copy of sdk-trace-base types; the object is a plain SpanExporter
    disableBatch: true,
    instrumentModules: { openAI: OpenAI as never },
    silenceInitializationMessage: true,
    traceContent: false,
    traceloopSyncEnabled: false,
    baseUrl: 'http://127.0.0.1:9', // never contacted: sync is off and the exporter is ours
  });
  const client = new OpenAI({ apiKey: 'test', baseURL: ids.baseURL });
  await traceloop.withAssociationProperties({ session_id: ids.sessionId, user_id: ids.userId }, async () =>
    traceloop.withWorkflow({ name: 'support_flow' }, async () =>
      traceloop.withAgent({ name: 'support_agent' }, async () => {
        await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
        await traceloop.withTool({ name: 'get_weather' }, async () => 'sunny');
        const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'and now?' }], stream: true, stream_options: { include_usage: true } });
        for await (const chunk of stream) void chunk;
      }),
    ),
  );
  await traceloop.forceFlush();
}

/**
 * Langfuse OTel export (@langfuse/otel LangfuseSpanProcessor with its own default exporter, which
 * POSTs OTLP/JSON to `${baseUrl}/api/public/otel/v1/traces` with Basic auth): two generations, one
 * with usage_details only (input EXCLUSIVE of cache: 20 + 100 cached), one with cost_details too.
 */
export async function runLangfuse(ids: ScenarioIds & { baseUrl: string; additionalHeaders?: Record<string, string> }): Promise<void> {
  const processor = new LangfuseSpanProcessor({
    baseUrl: ids.baseUrl,
    publicKey: 'pk-lf-test',
    secretKey: 'sk-lf-test',
    exportMode: 'immediate',
    // The processor always sends Authorization: Basic <pk:sk>; an agenttail key travels as x-api-key.
    ...(ids.additionalHeaders ? { additionalHeaders: ids.additionalHeaders } : {}),
  });
  const tp = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'lf-app' }), spanProcessors: [processor] });
  // @langfuse/tracing (startObservation) is not installed; its spans are these attributes on a 'langfuse-sdk' tracer.
  const tracer = tp.getTracer('langfuse-sdk');
  const common = { 'langfuse.session.id': ids.sessionId, 'langfuse.user.id': ids.userId, 'langfuse.observation.type': 'generation' };
  tracer
    .startSpan('generation catalog', {
      attributes: {
        ...common,
        'langfuse.observation.model.name': 'gpt-4o-mini',
        'langfuse.observation.usage_details': JSON.stringify({ input: 20, input_cached_tokens: 100, output: 40, total: 160 }),
      },
    })
    .end();
  tracer
    .startSpan('generation reported', {
      attributes: {
        ...common,
        'langfuse.observation.model.name': 'claude-sonnet-4-5',
        'langfuse.observation.usage_details': JSON.stringify({ input: 500, output: 200, total: 700 }),
        'langfuse.observation.cost_details': JSON.stringify({ input: 0.001, output: 0.003, total: 0.004 }),
      },
    })
    .end();
  await tp.forceFlush();
  await tp.shutdown();
}
