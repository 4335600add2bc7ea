import { describe, expect, it } from 'vitest';
import { SESSION_ALIASES } from '../../src/conventions/aliases.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import { makeSpan } from '../fixtures/conventions/span.js';

const n = new Normalizer({});

describe('Normalizer', () => {
  describe('normalize (session precedence)', () => {
    const both = { 'gen_ai.conversation.id': 'provider-thread', 'traceloop.association.properties.session_id': 'app-session' };

    it('prefers the explicit observability session over gen_ai.conversation.id by default', () => {
      expect(n.normalize(makeSpan({ attributes: both }), 't').sessionId).toBe('app-session');
    });
    it('follows a configured precedence', () => {
      const custom = new Normalizer({ sessionPrecedence: ['gen_ai.conversation.id'] });
      expect(custom.normalize(makeSpan({ attributes: both }), 't').sessionId).toBe('provider-thread');
      expect(custom.sessionAliases).toHaveLength(SESSION_ALIASES.length);
    });
    it('accepts a custom attribute name in the precedence', () => {
      const custom = new Normalizer({ sessionPrecedence: ['app.session'] });
      expect(custom.normalize(makeSpan({ attributes: { 'app.session': 's9', 'session.id': 'x' } }), 't').sessionId).toBe('s9');
    });
    it('falls back to resource attributes, span attributes first', () => {
      expect(n.normalize(makeSpan({ resource: { 'session.id': 'res-s', 'user.id': 'res-u' } }), 't')).toMatchObject({ sessionId: 'res-s', userId: 'res-u' });
      expect(n.normalize(makeSpan({ attributes: { 'session.id': 'span-s' }, resource: { 'langfuse.session.id': 'res-s' } }), 't').sessionId).toBe('span-s');
    });
    it('returns null without any alias and defaults the service name', () => {
      const s = n.normalize(makeSpan({ resource: {} }), 't');
      expect(s.sessionId).toBeNull();
      expect(s.serviceName).toBe('unknown_service');
      expect(s.usageRole).toBe('none');
      expect(s.cost).toEqual({ costUsd: null, source: 'none', priceVersion: '' });
    });
  });

  describe('normalize (errors)', () => {
    it('flags status error', () => {
      expect(n.normalize(makeSpan({ status: 2 }), 't')).toMatchObject({ isError: true, errorType: null });
    });
    it('flags error.type and takes it as the error type', () => {
      expect(n.normalize(makeSpan({ attributes: { 'error.type': 'rate_limit' } }), 't')).toMatchObject({ isError: true, errorType: 'rate_limit' });
    });
    it('flags an exception event and takes its exception.type', () => {
      const ev = { name: 'exception', timeUnixNano: 5n, attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'x' } };
      expect(n.normalize(makeSpan({ events: [ev] }), 't')).toMatchObject({ isError: true, errorType: 'TimeoutError' });
    });
    it('flags a tool call that reports an error attribute', () => {
      const s = n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'db', 'tool.error': 'boom' } }), 't');
      expect(s.isError).toBe(true);
    });
    it('does not flag a plain successful span', () => {
      expect(n.normalize(makeSpan({ status: 1 }), 't').isError).toBe(false);
    });
  });

  describe('normalize (usage checks)', () => {
    it('records parts exceeding totals without changing them', () => {
      const s = n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'gen_ai.usage.cache_read.input_tokens': 20, 'gen_ai.usage.reasoning.output_tokens': 9 } }), 't');
      expect(s.usage).toMatchObject({ inputTokens: 10, cacheReadTokens: 20, reasoningTokens: 9 });
      expect(s.usageViolations).toEqual(['cacheReadTokens>inputTokens', 'reasoningTokens>outputTokens']);
    });
    it('records cache read plus write exceeding input', () => {
      const s = n.normalize(makeSpan({ attributes: { 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1, 'gen_ai.usage.cache_read.input_tokens': 6, 'gen_ai.usage.cache_creation.input_tokens': 6 } }), 't');
      expect(s.usageViolations).toEqual(['cacheReadTokens+cacheWriteTokens>inputTokens']);
    });
    it('lists what a model-call span did not report', () => {
      const s = n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } }), 't');
      expect(s.usage).toBeNull();
      expect(s.usageMissing).toEqual(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens']);
    });
    it('reads int64 token counts given as decimal strings', () => {
      const s = n.normalize(makeSpan({ attributes: { 'gen_ai.usage.input_tokens': '12', 'gen_ai.usage.output_tokens': 3 } }), 't');
      expect(s.usage?.inputTokens).toBe(12);
      expect(s.usageRole).toBe('call');
    });
  });

  describe('normalize (evals)', () => {
    it('reads gen_ai.evaluation.result events targeting the span', () => {
      const ev = { name: 'gen_ai.evaluation.result', timeUnixNano: 42n, attributes: { 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': 0.4, 'gen_ai.evaluation.score.label': 'low', 'gen_ai.evaluation.explanation': 'off topic', 'gen_ai.response.id': 'r1' } };
      const s = n.normalize(makeSpan({ spanId: 'aaaaaaaaaaaaaaaa', events: [ev] }), 't');
      expect(s.evals).toEqual([
        { name: 'relevance', score: 0.4, label: 'low', explanation: 'off topic', target: { sessionId: null, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'aaaaaaaaaaaaaaaa' }, source: 'event', timeUnixNano: 42n },
      ]);
    });
    it('reads OpenInference evaluations.N attributes in index order', () => {
      const s = n.normalize(
        makeSpan({ attributes: { 'evaluations.1.evaluation.name': 'b', 'evaluations.1.evaluation.label': 'bad', 'evaluations.0.evaluation.name': 'a', 'evaluations.0.evaluation.score': 1 } }),
        't',
      );
      expect(s.evals.map((e) => [e.name, e.score, e.label, e.source])).toEqual([
        ['a', 1, null, 'attribute'],
        ['b', null, 'bad', 'attribute'],
      ]);
    });
    it('targets the linked span for an evaluator span', () => {
      const link = { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceState: '', attributes: {} };
      const s = n.normalize(makeSpan({ name: 'hallucination', links: [link], attributes: { 'openinference.span.kind': 'EVALUATOR', 'gen_ai.evaluation.score.value': 0.1 } }), 't');
      expect(s.evals).toHaveLength(1);
      expect(s.evals[0]).toMatchObject({ name: 'hallucination', score: 0.1, source: 'evaluator-span', target: { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16) } });
    });
    it('skips an eval event with neither score nor label', () => {
      const ev = { name: 'gen_ai.evaluation.result', timeUnixNano: 1n, attributes: { 'gen_ai.evaluation.name': 'x' } };
      expect(n.normalize(makeSpan({ events: [ev] }), 't').evals).toEqual([]);
    });
  });
});

describe('Normalizer', () => {
  describe('normalize (metrics)', () => {
    it('counts usage violations and calls without usage on the registry passed in', async () => {
      const { Registry } = await import('prom-client');
      const registry = new Registry();
      const m = new Normalizer({ registry });
      m.normalize(makeSpan({ attributes: { 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.output_tokens': 1, 'gen_ai.usage.cache_read.input_tokens': 5 } }), 't');
      m.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'chat' } }), 't');
      const text = await registry.metrics();
      expect(text).toContain('agenttail_normalize_usage_violations_total{violation="cacheReadTokens>inputTokens"} 1');
      expect(text).toContain('agenttail_normalize_calls_without_usage_total 1');
    });
  });
});

describe('Normalizer', () => {
  describe('normalize (semconv evaluator span)', () => {
    it('targets the linked span for gen_ai.operation.name=evaluation', () => {
      const link = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceState: '', attributes: {} };
      const s = n.normalize(
        makeSpan({ links: [link], attributes: { 'gen_ai.operation.name': 'evaluation', 'gen_ai.evaluation.name': 'faithfulness', 'gen_ai.evaluation.score.label': 'fail', 'gen_ai.evaluation.explanation': 'made up a date' } }),
        't',
      );
      expect(s.evals).toEqual([
        { name: 'faithfulness', score: null, label: 'fail', explanation: 'made up a date', target: { sessionId: null, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, source: 'evaluator-span', timeUnixNano: s.endTimeUnixNano },
      ]);
    });
  });
});
