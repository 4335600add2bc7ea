import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/conventions/normalize.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import { loadFixture, makeSpan } from '../fixtures/conventions/span.js';

const n = new Normalizer({});
const norm = (file: string): NormalizedSpan[] => loadFixture(file).map((s) => n.normalize(s, 't1'));
const find = (spans: NormalizedSpan[], name: string): NormalizedSpan => {
  const s = spans.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no span ${name}`);
  return s;
};

describe('Normalizer', () => {
  describe('normalize (OpenInference openai instrumentation, real payload)', () => {
    const s = find(norm('openinference-openai-chat.json'), 'OpenAI Chat Completions');

    it('reads session and user from session.id and user.id', () => {
      expect(s.sessionId).toBe('sess-oi');
      expect(s.userId).toBe('user-oi');
    });
    it('reads provider from llm.system and model from llm.model_name', () => {
      expect(s.genai.provider).toBe('openai');
      expect(s.genai.responseModel).toBe('gpt-4o-2024-08-06');
      expect(s.genai.operation).toBe('chat');
      expect(s.genai.conventions).toContain('openinference');
    });
    it('reads inclusive prompt count, cache read and reasoning', () => {
      expect(s.usage).toEqual({ inputTokens: 120, outputTokens: 40, cacheReadTokens: 100, cacheWriteTokens: 0, reasoningTokens: 12 });
      expect(s.usageRole).toBe('call');
      expect(s.usageMissing).toEqual(['cacheWriteTokens']);
      expect(s.serviceName).toBe('oi-test');
    });
    it('treats an AGENT span with counts as an aggregate and reads llm.cost.total as reported cost', () => {
      const a = n.normalize(makeSpan({ attributes: { 'openinference.span.kind': 'AGENT', 'agent.name': 'planner', 'llm.token_count.prompt': 10, 'llm.token_count.completion': 2, 'llm.cost.total': 0.25 } }), 't');
      expect(a.usageRole).toBe('aggregate');
      expect(a.genai.agentName).toBe('planner');
      expect(a.cost).toEqual({ costUsd: 0.25, source: 'reported', priceVersion: '' });
    });
    it('reads OpenInference tool and cache-write attributes', () => {
      const t = n.normalize(makeSpan({ attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'search', 'tool_call.id': 'tc-9' } }), 't');
      expect(t.genai).toMatchObject({ operation: 'execute_tool', toolName: 'search', toolCallId: 'tc-9' });
      const c = n.normalize(makeSpan({ attributes: { 'openinference.span.kind': 'LLM', 'llm.provider': 'anthropic', 'llm.token_count.prompt': 50, 'llm.token_count.completion': 1, 'llm.token_count.prompt_details.cache_write': 40 } }), 't');
      expect(c.genai.provider).toBe('anthropic');
      expect(c.usage?.cacheWriteTokens).toBe(40);
    });
  });

  describe('normalize (OpenLLMetry / Traceloop SDK, real payload)', () => {
    const spans = norm('openllmetry-openai-workflow.json');
    const chat = find(spans, 'chat gpt-4o-mini');

    it('reads session and user from association properties', () => {
      for (const s of spans) {
        expect(s.sessionId).toBe('sess-tl');
        expect(s.userId).toBe('user-tl');
      }
    });
    it('reads the chat call usage, model and agent', () => {
      expect(chat.usageRole).toBe('call');
      expect(chat.usage).toEqual({ inputTokens: 80, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
      expect(chat.genai).toMatchObject({ provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', agentName: 'support_agent' });
    });
    it('names tools and agents from traceloop.entity.name', () => {
      expect(find(spans, 'get_weather.tool').genai).toMatchObject({ operation: 'execute_tool', toolName: 'get_weather' });
      expect(find(spans, 'support_agent.agent').genai).toMatchObject({ operation: 'invoke_agent', agentName: 'support_agent' });
      expect(find(spans, 'support_flow.workflow').genai.operation).toBe('workflow');
    });
    it('reads the legacy OpenLLMetry token names', () => {
      const s = n.normalize(
        makeSpan({ attributes: { 'llm.request.type': 'chat', 'gen_ai.system': 'Anthropic', 'gen_ai.usage.prompt_tokens': 300, 'gen_ai.usage.completion_tokens': 30, 'gen_ai.usage.cache_read_input_tokens': 200, 'gen_ai.usage.cache_creation_input_tokens': 50, 'gen_ai.usage.reasoning_tokens': 7 } }),
        't',
      );
      expect(s.usage).toEqual({ inputTokens: 300, outputTokens: 30, cacheReadTokens: 200, cacheWriteTokens: 50, reasoningTokens: 7 });
      expect(s.usageRole).toBe('call');
      expect(s.genai.provider).toBe('Anthropic');
    });
    it('treats a workflow span carrying usage as an aggregate', () => {
      const s = n.normalize(makeSpan({ attributes: { 'traceloop.span.kind': 'workflow', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 } }), 't');
      expect(s.usageRole).toBe('aggregate');
      expect(s.usageMissing).toEqual([]);
    });
  });

  describe('normalize (Langfuse attributes)', () => {
    const spans = norm('langfuse-generation.json');
    const gen = find(spans, 'llm-call');

    it('converts exclusive usage_details input to inclusive input', () => {
      expect(gen.usage).toEqual({ inputTokens: 100, outputTokens: 30, cacheReadTokens: 70, cacheWriteTokens: 10, reasoningTokens: 5 });
      expect(gen.usageViolations).toEqual([]);
      expect(gen.usageRole).toBe('call');
    });
    it('reads session, user and model', () => {
      expect(gen.sessionId).toBe('sess-lf');
      expect(gen.userId).toBe('user-lf');
      expect(gen.genai.requestModel).toBe('claude-sonnet-4-5-20250929');
      expect(gen.genai.conventions).toEqual(['langfuse']);
    });
    it('sums cost_details parts as the reported cost', () => {
      const agent = find(spans, 'agent-run');
      expect(agent.cost.source).toBe('reported');
      expect(agent.cost.costUsd).toBeCloseTo(0.003, 12);
      expect(agent.genai.agentName).toBe('agent-run');
    });
    it('marks an ERROR-level tool observation as a failed tool call', () => {
      const tool = find(spans, 'search-docs');
      expect(tool.isError).toBe(true);
      expect(tool.genai.toolName).toBe('search-docs');
    });
    it('ignores malformed usage_details rather than failing', () => {
      const s = n.normalize(makeSpan({ attributes: { 'langfuse.observation.type': 'generation', 'langfuse.observation.usage_details': '{not json' } }), 't');
      expect(s.usage).toBeNull();
      expect(s.usageMissing).toHaveLength(5);
    });
  });
});

describe('Normalizer', () => {
  describe('normalize (OpenLLMetry Anthropic instrumentation)', () => {
    const attrs = { 'gen_ai.provider.name': 'anthropic', 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.output_tokens': 5, 'gen_ai.usage.cache_read.input_tokens': 70, 'gen_ai.usage.cache_creation.input_tokens': 10 };
    it('converts its exclusive input_tokens to inclusive input', () => {
      const s = n.normalize(makeSpan({ scopeName: '@traceloop/instrumentation-anthropic', attributes: attrs }), 't');
      expect(s.usage).toMatchObject({ inputTokens: 100, cacheReadTokens: 70, cacheWriteTokens: 10 });
      expect(s.usageViolations).toEqual([]);
    });
    it('leaves the same attributes from other scopes as reported and records the violation', () => {
      const s = n.normalize(makeSpan({ scopeName: 'my-app', attributes: attrs }), 't');
      expect(s.usage?.inputTokens).toBe(20);
      expect(s.usageViolations).toContain('cacheReadTokens>inputTokens');
    });
  });

  describe('conventions recognised', () => {
    it('lists each convention whose prefix some key carries, in table order, the same list object for the same set', () => {
      const a = n.normalize(makeSpan({ attributes: { 'langfuse.observation.type': 'generation', 'gen_ai.request.model': 'm', 'custom.x': 1 } }), 't1');
      const b = n.normalize(makeSpan({ attributes: { 'gen_ai.system': 'openai', 'langfuse.user.id': 'u' } }), 't1');
      const c = n.normalize(makeSpan({ attributes: { 'ai.operationId': 'ai.generateText', 'llm.usage.prompt_tokens': 3, 'evaluations.0.evaluation.name': 'x' } }), 't1');
      const none = n.normalize(makeSpan({ attributes: { 'http.method': 'GET' } }), 't1');
      expect(a.genai.conventions).toEqual(['genai', 'langfuse']);
      expect(b.genai.conventions).toBe(a.genai.conventions);
      expect(c.genai.conventions).toEqual(['openinference', 'openllmetry', 'vercel']);
      expect(none.genai.conventions).toEqual([]);
      expect(Object.isFrozen(a.genai.conventions)).toBe(true);
    });
  });
});
