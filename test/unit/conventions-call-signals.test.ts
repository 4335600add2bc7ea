import { describe, expect, it } from 'vitest';
import { httpStatusOf, toolArgsHashOf } from '../../src/conventions/call-signals.js';

describe('toolArgsHashOf', () => {
  it('hashes equal argument texts equally and different ones differently, under every convention', () => {
    const a = toolArgsHashOf({ 'gen_ai.tool.call.arguments': '{"city":"Paris"}' }, true);
    expect(a).not.toBeNull();
    expect(toolArgsHashOf({ 'ai.toolCall.args': '{"city":"Paris"}' }, true)).toBe(a);
    expect(toolArgsHashOf({ 'input.value': '{"city":"Paris"}' }, true)).toBe(a);
    expect(toolArgsHashOf({ 'gen_ai.tool.call.arguments': '{"city":"Rome"}' }, true)).not.toBe(a);
  });

  it('is null without arguments, and for spans that are not tool calls (input.value of a model call is its prompt)', () => {
    expect(toolArgsHashOf({}, true)).toBeNull();
    expect(toolArgsHashOf({ 'input.value': 'hello' }, false)).toBeNull();
  });
});

describe('httpStatusOf', () => {
  it('reads the current and the old semconv status, as numbers or numeric strings', () => {
    expect(httpStatusOf({ 'http.response.status_code': 429 })).toBe(429);
    expect(httpStatusOf({ 'http.status_code': '503' })).toBe(503);
  });

  it('ignores values that are not HTTP statuses', () => {
    expect(httpStatusOf({ 'http.response.status_code': 42 })).toBeNull();
    expect(httpStatusOf({ 'http.response.status_code': 'teapot' })).toBeNull();
    expect(httpStatusOf({})).toBeNull();
  });
});
