import { afterEach, describe, expect, it } from 'vitest';
import { ALIASES, CONVENTION_PREFIXES } from '../../src/conventions/aliases.js';
import { readJsonObject, readNumber, readString } from '../../src/conventions/read-attr.js';
import { closeAliasGate, conventionMask, noneOnSpan, openAliasGate } from '../../src/conventions/span-keys.js';
import { readCostUsd, readTokenCount } from '../../src/conventions/value-checks.js';
import type { Attributes } from '../../src/model/otlp-values.js';

/** Attribute maps of several conventions, with present, empty and non-string values. */
const MAPS: Attributes[] = [
  { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 3, 'gen_ai.agent.name': '' },
  { 'llm.model_name': 'claude', 'llm.token_count.prompt': '12', 'openinference.span.kind': 'LLM', 'llm.cost.total': 0.5, 'session.id': 7 },
  { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'gemini', 'ai.usage.promptTokens': 4, 'user.id': 'u' },
  { 'langfuse.observation.type': 'generation', 'langfuse.observation.usage_details': '{"input":3}', 'langfuse.observation.cost_details': 'x' },
  { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'search', 'custom.key': 'v', 'http.response.status_code': 429 },
  {},
];

type Read = (attrs: Attributes, names: readonly string[]) => unknown;
const READS: [string, Read][] = [
  ['readString', readString],
  ['readNumber', readNumber],
  ['readJsonObject', readJsonObject],
  ['readTokenCount', (a, n) => { try { return readTokenCount(a, n); } catch (err) { return err; } }],
  ['readCostUsd', (a, n) => { try { return readCostUsd(a, n); } catch (err) { return err; } }],
];

afterEach(() => closeAliasGate());

describe('span-keys', () => {
  describe('openAliasGate', () => {
    it('answers every alias read of the span and its resource as a lookup would', () => {
      for (const span of MAPS) {
        for (const resource of MAPS) {
          for (const [name, read] of READS) {
            for (const list of Object.values(ALIASES)) {
              const looked = [read(span, list), read(resource, list)];
              openAliasGate(span, resource);
              const gated = [read(span, list), read(resource, list)];
              closeAliasGate();
              expect(gated, `${name} ${list.join(',')}`).toEqual(looked);
            }
          }
        }
      }
    });

    it('skips only lists of ALIASES none of whose names the gated maps carry', () => {
      const span = MAPS[0]!;
      const resource: Attributes = { 'service.name': 's', 'user.id': 'u' };
      openAliasGate(span, resource);
      expect(noneOnSpan(span, ALIASES.requestModel)).toBe(false);
      expect(noneOnSpan(span, ALIASES.agentName)).toBe(false); // present, though empty: looked up
      expect(noneOnSpan(span, ALIASES.toolName)).toBe(true);
      expect(noneOnSpan(resource, ALIASES.user)).toBe(false);
      expect(noneOnSpan(resource, ALIASES.provider)).toBe(true);
      expect(noneOnSpan({ ...span }, ALIASES.toolName)).toBe(false); // another map: looked up
      expect(noneOnSpan(span, ['gen_ai.tool.name'])).toBe(false); // a list not in ALIASES: looked up
      closeAliasGate();
      expect(noneOnSpan(span, ALIASES.toolName)).toBe(false);
      expect(noneOnSpan(resource, ALIASES.provider)).toBe(false);
    });
  });

  describe('conventionMask', () => {
    it('marks the conventions whose prefixes the keys carry, gated or not', () => {
      const expected = (a: Attributes) => CONVENTION_PREFIXES.reduce((m, c, i) => (Object.keys(a).some((k) => c.prefixes.some((p) => k.startsWith(p))) ? m | (1 << i) : m), 0);
      for (const a of MAPS) {
        expect(conventionMask(a)).toBe(expected(a));
        openAliasGate(a, {});
        expect(conventionMask(a)).toBe(expected(a));
        closeAliasGate();
      }
    });
  });
});
