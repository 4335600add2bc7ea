import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { samplingSchema } from '../../src/config/sampling.js';
import { configSchema } from '../../src/config/schema.js';

describe('samplingSchema', () => {
  describe('parse()', () => {
    it('fills every default from an empty section', () => {
      const c = samplingSchema.parse({});
      expect(c.baselineRate).toBe(0.05);
      expect(c.policies.rarePath.enabled).toBe(true);
      expect(c.policies.lowEval.failingLabels).toContain('hallucinated');
      expect(c.budget.neverThin).toEqual(['error', 'residency', 'low_eval']);
      expect(c.rules).toEqual([]);
    });

    it('is part of the whole config with defaults', () => {
      expect(configSchema.parse({}).sampling.policies.costOutlier.maxCostUsd).toBe(5);
    });

    it('rejects an invalid regex and names the field', () => {
      const r = samplingSchema.safeParse({ rules: [{ name: 'x', conditions: [{ key: 'k', regex: '(' }] }] });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['rules', 0, 'conditions', 0, 'regex']);
    });

    it('rejects duplicate rule names and unknown policy classes', () => {
      const cond = [{ key: 'k', exists: true }];
      expect(samplingSchema.safeParse({ rules: [{ name: 'a', conditions: cond }, { name: 'a', conditions: cond }] }).success).toBe(false);
      expect(samplingSchema.safeParse({ budget: { priority: ['error', 'nope'] } }).success).toBe(false);
    });

    it('rejects unknown condition operators', () => {
      expect(samplingSchema.safeParse({ rules: [{ name: 'a', conditions: [{ key: 'k', contains: 'x' }] }] }).success).toBe(false);
    });

    it('gives every detector its documented default and refuses unknown detector fields and bad thresholds', () => {
      const d = samplingSchema.parse({}).policies.detectors;
      expect(d.toolLoop).toEqual({ enabled: true, repeatCount: 5, nameOnlyRepeatCount: 8, cycleRepeatCount: 4, maxCycleLength: 3 });
      expect(d.retryStorm.minRefusals).toBe(2);
      expect(d.runaway).toMatchObject({ maxModelCalls: 100, maxToolCalls: 200, contextGrowthFactor: 20, minGrowthInputTokens: 50_000, agents: {} });
      expect(d.cacheCollapse.minMissedCalls).toBe(3);
      expect(d.cacheChurn.minWriteCalls).toBe(3);
      expect(samplingSchema.safeParse({ policies: { detectors: { toolLoop: { repeats: 3 } } } }).success).toBe(false);
      expect(samplingSchema.safeParse({ policies: { detectors: { nope: {} } } }).success).toBe(false);
      const bad = samplingSchema.safeParse({ policies: { detectors: { toolLoop: { repeatCount: 1 } } } });
      expect(bad.success).toBe(false);
      expect(bad.error?.issues[0]?.path).toEqual(['policies', 'detectors', 'toolLoop', 'repeatCount']);
      expect(samplingSchema.safeParse({ policies: { detectors: { runaway: { agents: { coder: { maxModelCalls: 0 } } } } } }).success).toBe(false);
    });

    it('accepts the example YAML of docs/sampling.md', () => {
      const doc = readFileSync(new URL('../../docs/sampling.md', import.meta.url), 'utf8');
      const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
      expect(yaml).toBeDefined();
      const c = samplingSchema.parse((parse(yaml!) as { sampling: unknown }).sampling);
      expect(c.rules.map((r) => r.name)).toEqual(['health', 'vip-customers', 'expensive-gpt']);
      expect(c.budget.tenants['noisy-tenant']).toBe(600);
      expect(c.policies.detectors.runaway.agents['coder-agent']).toEqual({ maxModelCalls: 400, maxToolCalls: 800 });
    });
  });
});
