/**
 * Issue 25 point 6: the GenAI conventions moved to their own repository (semantic-conventions-genai) and renamed
 * attributes agenttail reads; a client on the new names lost its cache-write tokens (priced as if nothing was
 * written to the cache). Both names are read, the current one first.
 */
import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/conventions/normalize.js';
import { makeSpan } from '../fixtures/conventions/span.js';

const n = new Normalizer({});
const chat = (attributes: Record<string, unknown>) =>
  n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 10, ...attributes } }), 't');

describe('Normalizer', () => {
  describe('normalize (names renamed by semantic-conventions-genai)', () => {
    it('reads gen_ai.usage.cache_write.input_tokens (it was lost: only cache_creation was read)', () => {
      const s = chat({ 'gen_ai.usage.cache_write.input_tokens': 400 });
      expect(s.usage?.cacheWriteTokens).toBe(400);
      expect(s.usageMissing).not.toContain('cacheWriteTokens');
    });

    it('still reads the old gen_ai.usage.cache_creation.input_tokens, and prefers the new name when both are sent', () => {
      expect(chat({ 'gen_ai.usage.cache_creation.input_tokens': 300 }).usage?.cacheWriteTokens).toBe(300);
      expect(chat({ 'gen_ai.usage.cache_write.input_tokens': 400, 'gen_ai.usage.cache_creation.input_tokens': 300 }).usage?.cacheWriteTokens).toBe(400);
    });

    it('treats handle_conversation_turn (the new invoke_workflow) as a wrapper, so its usage is not counted twice', () => {
      const s = n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'handle_conversation_turn', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 10 } }), 't');
      expect(s.usageRole).toBe('aggregate');
    });

    it('reads time to first chunk under gen_ai.client.inference.* (renamed from gen_ai.client.operation.*)', () => {
      expect(chat({ 'gen_ai.client.inference.time_to_first_chunk': 0.25 }).call.ttftMs).toBe(250);
    });
  });
});
