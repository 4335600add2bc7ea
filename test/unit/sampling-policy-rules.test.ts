import { describe, expect, it } from 'vitest';
import { AttributeRules } from '../../src/sampling/policies/attribute-rules.js';
import { compileCondition } from '../../src/sampling/policies/rule-condition.js';
import type { SamplingConfigInput } from '../../src/config/sampling.js';
import { samplingConfig, span, view } from './sampling-fixtures.js';

function rules(input: SamplingConfigInput['rules']) {
  return new AttributeRules({ rules: samplingConfig({ rules: input }).rules });
}
const cond = (c: Record<string, unknown>) => compileCondition({ source: 'attribute', key: 'k', ...c });

describe('compileCondition', () => {
  describe('test()', () => {
    it('checks equals across numbers and numeric strings', () => {
      expect(cond({ equals: 'prod' }).test('prod')).toBe(true);
      expect(cond({ equals: 'prod' }).test('dev')).toBe(false);
      expect(cond({ equals: 5 }).test('5')).toBe(true);
      expect(cond({ equals: true }).test('true')).toBe(false);
    });

    it('checks in, regex and numeric ranges', () => {
      expect(cond({ in: ['a', 'b'] }).test('b')).toBe(true);
      expect(cond({ in: ['a', 'b'] }).test('c')).toBe(false);
      expect(cond({ regex: '^gpt-4' }).test('gpt-4o-mini')).toBe(true);
      expect(cond({ regex: '^gpt-4' }).test('claude')).toBe(false);
      expect(cond({ gt: 1, lte: 3 }).test(3)).toBe(true);
      expect(cond({ gt: 1, lte: 3 }).test(1)).toBe(false);
      expect(cond({ gte: 10 }).test('12345678901234567890')).toBe(true);
      expect(cond({ lt: 10 }).test('ten')).toBe(false);
    });

    it('checks exists on present, null and absent values', () => {
      expect(cond({ exists: true }).test('x')).toBe(true);
      expect(cond({ exists: true }).test(undefined)).toBe(false);
      expect(cond({ exists: false }).test(null)).toBe(true);
      expect(cond({ equals: 'x' }).test(undefined)).toBe(false);
    });

    it('matches a list when any element matches', () => {
      expect(cond({ equals: 'gpt-4o' }).test(['claude', 'gpt-4o'])).toBe(true);
      expect(cond({ equals: 'gpt-4o' }).test(['claude'])).toBe(false);
    });
  });
});

describe('AttributeRules', () => {
  describe('votes()', () => {
    it('keeps on a span attribute with any-span matching', () => {
      const r = rules([{ name: 'vip', conditions: [{ source: 'attribute', key: 'user.tier', equals: 'vip' }] }]);
      const v = view({}, [span(), span({ attributes: { 'user.tier': 'vip' } })]);
      expect(r.votes(v)).toEqual([{ reason: 'rule:vip', policyClass: 'rule', probability: 1 }]);
      expect(r.votes(view())).toEqual([]);
    });

    it('requires every span to match under match all', () => {
      const r = rules([{ name: 'allprod', match: 'all', conditions: [{ source: 'resource', key: 'env', equals: 'prod' }] }]);
      const prod = span({ resourceAttributes: { env: 'prod' } });
      expect(r.votes(view({}, [prod, prod]))).toHaveLength(1);
      expect(r.votes(view({}, [prod, span()]))).toHaveLength(0);
      expect(r.votes(view({}, []))).toHaveLength(0);
    });

    it('combines summary and span conditions, all of which must hold', () => {
      const r = rules([
        {
          name: 'big-gpt',
          conditions: [
            { source: 'summary', key: 'costUsd', gte: 1 },
            { source: 'span', key: 'model', regex: '^gpt' },
          ],
        },
      ]);
      const gpt = span({ genai: { ...span().genai, requestModel: 'gpt-4o' } });
      expect(r.votes(view({ costUsd: 2 }, [gpt]))).toHaveLength(1);
      expect(r.votes(view({ costUsd: 0.5 }, [gpt]))).toHaveLength(0);
      expect(r.votes(view({ costUsd: 2 }, [span()]))).toHaveLength(0);
    });

    it('needs all conditions of a rule on the same span', () => {
      const r = rules([{ name: 'both', conditions: [{ key: 'a', exists: true }, { key: 'b', exists: true }] }]);
      expect(r.votes(view({}, [span({ attributes: { a: 1 } }), span({ attributes: { b: 1 } })]))).toHaveLength(0);
      expect(r.votes(view({}, [span({ attributes: { a: 1, b: 1 } })]))).toHaveLength(1);
    });

    it('skips disabled rules', () => {
      const r = rules([{ name: 'off', enabled: false, conditions: [{ source: 'summary', key: 'spanCount', gte: 0 }] }]);
      expect(r.votes(view())).toEqual([]);
    });
  });

  describe('dropRule()', () => {
    it('names the first matching drop rule and ignores keep rules', () => {
      const r = rules([
        { name: 'keep-all', conditions: [{ source: 'summary', key: 'spanCount', gte: 0 }] },
        { name: 'health', action: 'drop', conditions: [{ source: 'span', key: 'name', regex: '^GET /health' }] },
      ]);
      expect(r.dropRule(view({}, [span({ name: 'GET /healthz' })]))).toBe('health');
      expect(r.dropRule(view())).toBeNull();
    });
  });
});
