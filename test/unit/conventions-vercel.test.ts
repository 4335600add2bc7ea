import { describe, expect, it } from 'vitest';
import { checkAggregates } from '../../src/conventions/aggregates.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import { loadFixture, makeSpan } from '../fixtures/conventions/span.js';

const n = new Normalizer({});
const norm = (file: string): NormalizedSpan[] => loadFixture(file).map((s) => n.normalize(s, 't1'));
const byName = (spans: NormalizedSpan[], name: string): NormalizedSpan[] => spans.filter((s) => s.name === name);

describe('Normalizer', () => {
  describe('normalize (Vercel AI SDK v6, real payload)', () => {
    const spans = norm('vercel-v6-generate-text.json');
    const call = byName(spans, 'ai.generateText.doGenerate')[0] as NormalizedSpan;
    const wrapper = byName(spans, 'ai.generateText')[0] as NormalizedSpan;

    it('reads session and user from ai.telemetry.metadata', () => {
      expect(call.sessionId).toBe('sess-v6');
      expect(call.userId).toBe('user-v6');
      expect(wrapper.sessionId).toBe('sess-v6');
    });
    it('reads model, provider, agent and operation', () => {
      expect(call.genai.requestModel).toBe('gpt-4o-mini');
      expect(call.genai.responseModel).toBe('gpt-4o-mini-2024-07-18');
      expect(call.genai.provider).toBe('openai.chat');
      expect(call.genai.agentName).toBe('my-agent');
      expect(call.genai.operation).toBe('chat');
      expect(call.genai.conventions).toEqual(expect.arrayContaining(['genai', 'vercel']));
    });
    it('reads inclusive input, cache parts, output and reasoning', () => {
      expect(call.usage).toEqual({ inputTokens: 100, outputTokens: 50, cacheReadTokens: 30, cacheWriteTokens: 10, reasoningTokens: 10 });
      expect(call.usageViolations).toEqual([]);
      expect(call.usageMissing).toEqual([]);
    });
    it('marks doGenerate as the call and generateText as the aggregate', () => {
      expect(call.usageRole).toBe('call');
      expect(wrapper.usageRole).toBe('aggregate');
      expect(checkAggregates(spans)).toEqual([]);
    });
    it('converts noCacheTokens to inclusive input when no input total is present', () => {
      const s = n.normalize(
        makeSpan({ attributes: { 'ai.operationId': 'ai.streamText.doStream', 'ai.usage.inputTokenDetails.noCacheTokens': 60, 'ai.usage.inputTokenDetails.cacheReadTokens': 30, 'ai.usage.outputTokens': 5 } }),
        't',
      );
      expect(s.usage?.inputTokens).toBe(90);
      expect(s.usageMissing).toEqual(['cacheWriteTokens', 'reasoningTokens']);
    });
  });

  describe('normalize (Vercel AI SDK v7 @ai-sdk/otel, real payload)', () => {
    const spans = norm('vercel-v7-agent-tool.json');
    const chats = byName(spans, 'chat claude-sonnet-4-5');
    const agent = byName(spans, 'invoke_agent claude-sonnet-4-5')[0] as NormalizedSpan;
    const tool = byName(spans, 'execute_tool weather')[0] as NormalizedSpan;

    it('counts chat spans as calls with semconv usage', () => {
      expect(chats).toHaveLength(2);
      for (const c of chats) {
        expect(c.usageRole).toBe('call');
        expect(c.genai.provider).toBe('anthropic');
        expect(c.usage).toEqual({ inputTokens: 100, outputTokens: 50, cacheReadTokens: 30, cacheWriteTokens: 10, reasoningTokens: 10 });
      }
    });
    it('treats invoke_agent as an aggregate that matches its calls', () => {
      expect(agent.usageRole).toBe('aggregate');
      expect(agent.genai.agentName).toBe('weather-agent');
      expect(agent.usage?.inputTokens).toBe(200);
      expect(checkAggregates(spans)).toEqual([]);
    });
    it('gives step spans carrying only detail parts no usage', () => {
      for (const s of spans.filter((x) => x.name.startsWith('step'))) {
        expect(s.usage).toBeNull();
        expect(s.usageRole).toBe('none');
        expect(s.genai.operation).toBe('agent_step');
      }
    });
    it('reads the tool name, call id and type', () => {
      expect(tool.genai).toMatchObject({ operation: 'execute_tool', toolName: 'weather', toolCallId: 'call-1', toolType: 'function' });
      expect(tool.isError).toBe(false);
    });
    it('reads session and user from ai.settings.context on invoke_agent and step spans only', () => {
      expect(agent).toMatchObject({ sessionId: 'sess-v7', userId: 'user-v7' });
      for (const s of spans.filter((x) => x.name.startsWith('step'))) expect(s.sessionId).toBe('sess-v7');
      // chat and tool spans carry no session: the sessions stage joins them through their trace.
      for (const c of chats) expect(c.sessionId).toBeNull();
      expect(tool.sessionId).toBeNull();
    });
  });
});

describe('checkAggregates', () => {
  it('reports a wrapper whose aggregate differs from the sum of its calls', () => {
    const raw = loadFixture('vercel-v7-agent-tool.json');
    const agent = raw.find((s) => s.name.startsWith('invoke_agent'));
    if (agent === undefined) throw new Error('fixture lacks invoke_agent');
    agent.attributes = { ...agent.attributes, 'gen_ai.usage.input_tokens': 999 };
    const msgs = checkAggregates(raw.map((s) => n.normalize(s, 't')));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toContain('inputTokens 999≠200');
  });
  it('returns nothing for a wrapper with no calls below it', () => {
    const s = n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 5, 'gen_ai.usage.output_tokens': 1 } }), 't');
    expect(checkAggregates([s])).toEqual([]);
  });
});

describe('Normalizer', () => {
  describe('normalize (Vercel AI SDK v6 tool call)', () => {
    it('reads ai.toolCall name and id and flags its error status', () => {
      const s = n.normalize(makeSpan({ status: 2, attributes: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather', 'ai.toolCall.id': 'call-7' } }), 't');
      expect(s.genai).toMatchObject({ operation: 'execute_tool', toolName: 'weather', toolCallId: 'call-7' });
      expect(s.isError).toBe(true);
    });
  });
});

describe('Normalizer', () => {
  describe('normalize (Vercel AI SDK v6 streamText, real payload)', () => {
    const spans = norm('vercel-v6-stream-text.json');
    const call = byName(spans, 'ai.streamText.doStream')[0] as NormalizedSpan;

    it('marks doStream as the call and lists the detail fields it did not report', () => {
      expect(call.usageRole).toBe('call');
      expect(call.usage).toEqual({ inputTokens: 42, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
      expect(call.usageMissing).toEqual(['cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens']);
      expect(call.sessionId).toBe('sess-v6s');
    });
    it('keeps the streamText wrapper as an aggregate consistent with its call', () => {
      expect((byName(spans, 'ai.streamText')[0] as NormalizedSpan).usageRole).toBe('aggregate');
      expect(checkAggregates(spans)).toEqual([]);
    });
  });
});
