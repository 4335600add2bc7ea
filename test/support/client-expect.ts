/**
 * Field-by-field expectations for each client scenario of client-scenarios.ts, shared by the live
 * socket tests and the replay of the captured fixtures. Costs are literals worked out by hand from
 * src/pricing/catalog.json (version 2026-11-01, USD per 1M tokens), not from the Pricer under test.
 */
import { expect } from 'vitest';
import type { NormalizedSpan } from '../../src/model/span.js';

/** Cost assertions are exact to 1e-9 USD (the brief's tolerance; the figures are exact in binary well beyond it). */
export const COST_TOLERANCE_USD = 1e-9;

/** Spans of every trace that carries `sessionId` on at least one span (a trace joins its session as a whole). */
export function spansOfSession(spans: readonly NormalizedSpan[], sessionId: string): NormalizedSpan[] {
  const traces = new Set(spans.filter((s) => s.sessionId === sessionId).map((s) => s.traceId));
  return spans.filter((s) => traces.has(s.traceId));
}

function one(spans: readonly NormalizedSpan[], name: string): NormalizedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found, `exactly one span named ${name}`).toHaveLength(1);
  return found[0]!;
}

function expectCost(span: NormalizedSpan, usd: number, source: 'catalog' | 'reported'): void {
  expect(span.cost.source).toBe(source);
  expect(span.cost.costUsd).not.toBeNull();
  expect(Math.abs(span.cost.costUsd! - usd)).toBeLessThan(COST_TOLERANCE_USD);
  expect(span.cost.priceVersion).toBe(source === 'catalog' ? '2026-11-01' : '');
}

/** Usage counts once: only `call` spans carry cost, wrappers never do. */
function expectCountedOnce(spans: readonly NormalizedSpan[], calls: number): void {
  expect(spans.filter((s) => s.usageRole === 'call')).toHaveLength(calls);
  for (const s of spans.filter((x) => x.usageRole !== 'call')) expect(s.cost.costUsd, `${s.name} carries no cost`).toBeNull();
  for (const s of spans) expect(s.usageViolations, `${s.name} usage is consistent`).toEqual([]);
}

/** runOtelSdkAgentTurn: three GenAI semconv spans, the chat call priced, the tool named, one eval event. */
export function expectOtelSdkAgentTurn(all: readonly NormalizedSpan[], ids: { sessionId: string; userId: string; tenantId?: string }): void {
  const spans = spansOfSession(all, ids.sessionId);
  expect(spans).toHaveLength(3);
  const root = one(spans, 'invoke_agent support');
  const chat = one(spans, 'chat gpt-4o-mini');
  const tool = one(spans, 'execute_tool get_order');
  for (const s of spans) {
    expect(s.tenantId).toBe(ids.tenantId ?? 'default');
    expect(s.serviceName).toBe('support-bot');
    expect(s.scopeName).toBe('test-agent');
    expect(s.genai.conventions).toEqual(['genai']);
  }
  expect(root.parentSpanId).toBe('');
  expect(root.sessionId).toBe(ids.sessionId);
  expect(root.userId).toBe(ids.userId);
  expect(root.genai.operation).toBe('invoke_agent');
  expect(root.genai.agentName).toBe('support');
  expect(root.usageRole).toBe('none');

  expect(chat.parentSpanId).toBe(root.spanId);
  expect(chat.sessionId).toBe(ids.sessionId);
  expect(chat.kind).toBe(3); // OTLP numbering: SDK CLIENT (2) is wire 3
  expect(chat.genai).toMatchObject({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18' });
  expect(chat.usageRole).toBe('call');
  expect(chat.usage).toEqual({ inputTokens: 1200, cacheReadTokens: 1000, cacheWriteTokens: 0, outputTokens: 300, reasoningTokens: 80 });
  expect(chat.usageMissing).toEqual(['cacheWriteTokens']);
  // gpt-4o-mini: (1200-1000)×0.15 + 1000×0.075 + 300×0.60 = 30 + 75 + 180 = 285 µ$ (no reasoning price: inside output)
  expectCost(chat, 0.000285, 'catalog');

  expect(tool.parentSpanId).toBe(root.spanId);
  expect(tool.genai).toMatchObject({ operation: 'execute_tool', toolName: 'get_order', toolCallId: 'call_1' });
  expect(tool.isError).toBe(false);

  expect(root.evals).toHaveLength(1);
  expect(root.evals[0]).toMatchObject({
    name: 'helpfulness',
    score: 0.25,
    label: 'unhelpful',
    explanation: 'did not answer the order question',
    source: 'event',
    target: { traceId: root.traceId, spanId: root.spanId },
  });
  expectCountedOnce(spans, 1);
}

/** runOpenInferenceChat: one OpenInference LLM span, inclusive input with cache and reasoning parts. */
export function expectOpenInferenceChat(all: readonly NormalizedSpan[], ids: { sessionId: string; userId: string }): void {
  const spans = spansOfSession(all, ids.sessionId);
  expect(spans).toHaveLength(1);
  const span = one(spans, 'OpenAI Chat Completions');
  expect(span.serviceName).toBe('oi-app');
  expect(span.scopeName).toBe('@arizeai/openinference-instrumentation-openai');
  expect(span.sessionId).toBe(ids.sessionId);
  expect(span.userId).toBe(ids.userId);
  expect(span.genai.conventions).toContain('openinference');
  // OpenInference records llm.model_name from the response: the dated model, no separate request model.
  expect(span.genai).toMatchObject({ operation: 'chat', provider: 'openai', responseModel: 'gpt-4o-mini-2024-07-18' });
  expect(span.usageRole).toBe('call');
  // llm.token_count.prompt (120) already includes prompt_tokens_details.cached_tokens (100).
  expect(span.usage).toEqual({ inputTokens: 120, cacheReadTokens: 100, cacheWriteTokens: 0, outputTokens: 40, reasoningTokens: 12 });
  // gpt-4o-mini: 20×0.15 + 100×0.075 + 40×0.60 = 3 + 7.5 + 24 = 34.5 µ$
  expectCost(span, 0.0000345, 'catalog');
  expect(span.isError).toBe(false);
  expectCountedOnce(spans, 1);
}

/**
 * runOpenInferenceChat with `stream`: @arizeai/openinference-instrumentation-openai 4.2.7 skips chunks
 * without choices, so even the usage chunk asked for with stream_options.include_usage is lost. The model
 * call arrives without usage, every field marked missing, and no cost (never a silent 0).
 */
export function expectOpenInferenceStreamWithoutUsage(all: readonly NormalizedSpan[], ids: { sessionId: string; userId: string }): void {
  const spans = spansOfSession(all, ids.sessionId);
  expect(spans).toHaveLength(1);
  const span = one(spans, 'OpenAI Chat Completions');
  expect(span.sessionId).toBe(ids.sessionId);
  expect(span.userId).toBe(ids.userId);
  expect(span.genai).toMatchObject({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o-mini' });
  expect(span.attributes['output.value']).toBe('hello back'); // the stream was drained and recorded
  expect(span.usage).toBeNull();
  expect(span.usageMissing).toEqual(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens']);
  expect(span.cost.costUsd).toBeNull();
  expect(span.isError).toBe(false);
}

/** runVercelV6: ai.generateText (aggregate, no cost) over ai.generateText.doGenerate (the priced call). */
export function expectVercelV6(all: readonly NormalizedSpan[], ids: { sessionId: string; userId: string }): void {
  const spans = spansOfSession(all, ids.sessionId);
  expect(spans).toHaveLength(2);
  const wrapper = one(spans, 'ai.generateText');
  const call = one(spans, 'ai.generateText.doGenerate');
  for (const s of spans) {
    expect(s.serviceName).toBe('vercel-app');
    expect(s.sessionId).toBe(ids.sessionId);
    expect(s.userId).toBe(ids.userId);
    expect(s.genai.agentName).toBe('my-agent'); // functionId
    expect(s.genai.conventions).toContain('vercel');
  }
  expect(call.parentSpanId).toBe(wrapper.spanId);
  expect(call.genai).toMatchObject({ operation: 'chat', provider: 'openai.chat', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18' });
  expect(call.usageRole).toBe('call');
  expect(call.usage).toEqual({ inputTokens: 100, cacheReadTokens: 30, cacheWriteTokens: 10, outputTokens: 50, reasoningTokens: 10 });
  // gpt-4o-mini (no cache-write price: input price): 60×0.15 + 30×0.075 + 10×0.15 + 50×0.60 = 9 + 2.25 + 1.5 + 30 = 42.75 µ$
  expectCost(call, 0.00004275, 'catalog');
  expect(wrapper.usageRole).toBe('aggregate');
  expect(wrapper.usage).toEqual(call.usage);
  expectCountedOnce(spans, 1);
}

/** runVercelV7: invoke_agent (aggregate of both calls) → step → chat / execute_tool. */
export function expectVercelV7(all: readonly NormalizedSpan[], ids: { sessionId: string; userId: string }): void {
  const spans = spansOfSession(all, ids.sessionId);
  expect(spans.map((s) => s.name).sort()).toEqual(['chat claude-sonnet-4-5', 'chat claude-sonnet-4-5', 'execute_tool weather', 'invoke_agent claude-sonnet-4-5', 'step 1', 'step 2']);
  const agent = one(spans, 'invoke_agent claude-sonnet-4-5');
  const step1 = one(spans, 'step 1');
  const step2 = one(spans, 'step 2');
  expect(agent.parentSpanId).toBe('');
  expect(agent.sessionId).toBe(ids.sessionId);
  expect(agent.userId).toBe(ids.userId);
  expect(agent.genai).toMatchObject({ operation: 'invoke_agent', provider: 'anthropic', requestModel: 'claude-sonnet-4-5', agentName: 'weather-agent' });
  expect(agent.usageRole).toBe('aggregate');
  expect(agent.usage).toEqual({ inputTokens: 200, cacheReadTokens: 60, cacheWriteTokens: 20, outputTokens: 100, reasoningTokens: 20 });
  for (const step of [step1, step2]) expect(step.parentSpanId).toBe(agent.spanId);

  const calls = spans.filter((s) => s.name === 'chat claude-sonnet-4-5');
  expect(calls.map((s) => s.parentSpanId).sort()).toEqual([step1.spanId, step2.spanId].sort());
  for (const call of calls) {
    // The chat spans carry no session alias themselves: they join the session through their trace.
    expect(call.traceId).toBe(agent.traceId);
    expect(call.genai).toMatchObject({ operation: 'chat', provider: 'anthropic', requestModel: 'claude-sonnet-4-5', responseModel: 'claude-sonnet-4-5' });
    expect(call.usageRole).toBe('call');
    expect(call.usage).toEqual({ inputTokens: 100, cacheReadTokens: 30, cacheWriteTokens: 10, outputTokens: 50, reasoningTokens: 10 });
    // claude-sonnet-4-5: 60×3 + 30×0.30 + 10×3.75 + 50×15 = 180 + 9 + 37.5 + 750 = 976.5 µ$
    expectCost(call, 0.0009765, 'catalog');
  }
  const tool = one(spans, 'execute_tool weather');
  expect(tool.parentSpanId).toBe(step1.spanId);
  expect(tool.genai).toMatchObject({ operation: 'execute_tool', toolName: 'weather', toolCallId: 'call-1', toolType: 'function' });
  expectCountedOnce(spans, 2);
}

/** runTraceloop: workflow → agent → (chat, tool, streamed chat), all carrying the association session. */
export function expectTraceloop(all: readonly NormalizedSpan[], ids: { sessionId: string; userId: string }): void {
  const spans = spansOfSession(all, ids.sessionId);
  expect(spans).toHaveLength(5);
  const workflow = one(spans, 'support_flow.workflow');
  const agent = one(spans, 'support_agent.agent');
  const tool = one(spans, 'get_weather.tool');
  const chats = spans.filter((s) => s.name === 'chat gpt-4o-mini');
  expect(chats).toHaveLength(2);
  const chat = chats.find((s) => s.usage !== null)!;
  const streamed = chats.find((s) => s.usage === null)!;
  for (const s of spans) {
    expect(s.serviceName).toBe('tl-app');
    expect(s.sessionId).toBe(ids.sessionId);
    expect(s.userId).toBe(ids.userId);
    expect(s.genai.conventions).toContain('openllmetry');
  }
  expect(workflow.parentSpanId).toBe('');
  expect(workflow.genai.operation).toBe('workflow');
  expect(agent.parentSpanId).toBe(workflow.spanId);
  expect(agent.genai).toMatchObject({ operation: 'invoke_agent', agentName: 'support_agent' });
  for (const s of chats) {
    expect(s.parentSpanId).toBe(agent.spanId);
    expect(s.scopeName).toBe('@traceloop/instrumentation-openai');
    expect(s.genai).toMatchObject({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o-mini', agentName: 'support_agent' });
  }
  expect(chat.genai.responseModel).toBe('gpt-4o-mini-2024-07-18');
  expect(chat.usageRole).toBe('call');
  // @traceloop/instrumentation-openai 0.27.0 reports prompt/completion totals only: the 100 cached and
  // 12 reasoning tokens the server answered are not on the span, and are marked missing, not zero.
  expect(chat.usage).toMatchObject({ inputTokens: 120, outputTokens: 40 });
  expect(chat.usageMissing).toEqual(['cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens']);
  // gpt-4o-mini, all input uncached as reported: 120×0.15 + 40×0.60 = 18 + 24 = 42 µ$
  expectCost(chat, 0.000042, 'catalog');
  // Streamed: the instrumentation records no usage even though the usage chunk was asked for and sent.
  expect(streamed.usage).toBeNull();
  expect(streamed.usageMissing).toEqual(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens']);
  expect(streamed.cost.costUsd).toBeNull();
  expect(tool.parentSpanId).toBe(agent.spanId);
  expect(tool.genai).toMatchObject({ operation: 'execute_tool', toolName: 'get_weather', agentName: 'support_agent' });
  expectCountedOnce(spans, 1);
}

/** runLangfuse: exclusive usage_details converted to inclusive input; a reported cost_details total wins over the catalog. */
export function expectLangfuse(all: readonly NormalizedSpan[], ids: { sessionId: string; userId: string; tenantId?: string }): void {
  const spans = spansOfSession(all, ids.sessionId);
  expect(spans).toHaveLength(2);
  const priced = one(spans, 'generation catalog');
  const reported = one(spans, 'generation reported');
  for (const s of spans) {
    expect(s.tenantId).toBe(ids.tenantId ?? 'default');
    expect(s.serviceName).toBe('lf-app');
    expect(s.scopeName).toBe('langfuse-sdk');
    expect(s.sessionId).toBe(ids.sessionId);
    expect(s.userId).toBe(ids.userId);
    expect(s.genai.conventions).toContain('langfuse');
    expect(s.genai.operation).toBe('chat');
    expect(s.usageRole).toBe('call');
  }
  expect(priced.genai.requestModel).toBe('gpt-4o-mini');
  // usage_details input 20 is EXCLUSIVE of input_cached_tokens 100: inclusive input is 120.
  expect(priced.usage).toEqual({ inputTokens: 120, cacheReadTokens: 100, cacheWriteTokens: 0, outputTokens: 40, reasoningTokens: 0 });
  // gpt-4o-mini: 20×0.15 + 100×0.075 + 40×0.60 = 34.5 µ$
  expectCost(priced, 0.0000345, 'catalog');
  expect(reported.genai.requestModel).toBe('claude-sonnet-4-5');
  expect(reported.usage).toMatchObject({ inputTokens: 500, outputTokens: 200 });
  // cost_details.total as reported (4000 µ$), not the catalog's 500×3 + 200×15 = 4500 µ$.
  expectCost(reported, 0.004, 'reported');
  expectCountedOnce(spans, 2);
}
