import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/conventions/normalize.js';
import { MAX_COST_PER_SPAN_USD, MAX_TOKENS_PER_SPAN } from '../../src/conventions/value-checks.js';
import { SpanRejectError } from '../../src/otlp/span-checks.js';
import type { Attributes } from '../../src/model/otlp-values.js';
import { makeSpan } from '../fixtures/conventions/span.js';

const n = new Normalizer({});
const chat = (extra: Attributes): Attributes => ({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.output_tokens': 5, ...extra });

function refusal(attributes: Attributes): SpanRejectError {
  try {
    n.normalize(makeSpan({ attributes }), 't');
  } catch (err) {
    if (err instanceof SpanRejectError) return err;
    throw err;
  }
  throw new Error('the span was accepted');
}

describe('value checks at normalization', () => {
  it.each([
    ['negative tokens', { 'gen_ai.usage.input_tokens': -5 }, /gen_ai\.usage\.input_tokens = -5 is not a token count/],
    ['fractional tokens', { 'gen_ai.usage.input_tokens': 1.5 }, /input_tokens = 1\.5 is not a token count/],
    ['NaN tokens', { 'gen_ai.usage.input_tokens': Number.NaN }, /input_tokens = NaN is not a token count/],
    ['a non-numeric string', { 'gen_ai.usage.input_tokens': 'lots' }, /input_tokens = "lots" is not a token count/],
    ['1e300 tokens', { 'gen_ai.usage.input_tokens': 1e300 }, /input_tokens = 1e\+300 is implausible/],
    ['2^63-1 tokens (an int64 string)', { 'gen_ai.usage.input_tokens': '9223372036854775807' }, /"9223372036854775807" is implausible/],
    ['10^12 tokens', { 'gen_ai.usage.input_tokens': 1e12 }, /1000000000000 is implausible: above the ceiling of 1000000000 tokens/],
    ['negative reasoning tokens', { 'gen_ai.usage.reasoning_tokens': -1 }, /reasoning_tokens = -1 is not a token count/],
  ])('refuses a span with %s as kind usage, naming the attribute and value', (_what, attrs, message) => {
    const err = refusal(chat(attrs as Attributes));
    expect(err.kind).toBe('usage');
    expect(err.message).toMatch(message);
  });

  it.each([
    ['a cost overflowing Decimal(38, 12)', { 'gen_ai.usage.cost': 1e30 }, /gen_ai\.usage\.cost = 1e\+30 is implausible/],
    ['a negative cost', { 'llm.cost.total': -0.5 }, /llm\.cost\.total = -0\.5 is not a cost/],
    ['an infinite cost part', { 'llm.cost.prompt': 'Infinity' }, /llm\.cost\.prompt = "Infinity" is not a cost/],
    ['Langfuse cost details above the ceiling', { 'langfuse.observation.cost_details': JSON.stringify({ input: 2e6 }) }, /cost_details\.input = 2000000 is implausible/],
  ])('refuses a span with %s as kind cost', (_what, attrs, message) => {
    const err = refusal(chat(attrs as Attributes));
    expect(err.kind).toBe('cost');
    expect(err.message).toMatch(message);
  });

  it('refuses negative Langfuse usage details (exclusive input converted later)', () => {
    const err = refusal({ 'langfuse.observation.type': 'generation', 'langfuse.observation.usage_details': JSON.stringify({ input: -3, output: 2 }) });
    expect(err.message).toMatch(/usage_details\.input = -3 is not a token count/);
  });

  it('accepts counts and costs at the ceilings, and numeric strings', () => {
    const s = n.normalize(makeSpan({ attributes: chat({ 'gen_ai.usage.input_tokens': String(MAX_TOKENS_PER_SPAN), 'gen_ai.usage.cost': MAX_COST_PER_SPAN_USD }) }), 't');
    expect(s.usage?.inputTokens).toBe(MAX_TOKENS_PER_SPAN);
    expect(s.cost).toEqual({ costUsd: MAX_COST_PER_SPAN_USD, source: 'reported', priceVersion: '' });
  });

  it('still treats an empty or null token attribute as not reported', () => {
    const s = n.normalize(makeSpan({ attributes: chat({ 'gen_ai.usage.input_tokens': '', 'llm.token_count.prompt': 7 }) }), 't');
    expect(s.usage?.inputTokens).toBe(7);
  });
});
