import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { residencySchema, type ResidencyConfig } from '../../src/config/residency.js';
import { NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import { emptyGenAi, type NormalizedSpan } from '../../src/model/span.js';
import { DecisionEngine } from '../../src/sampling/engine.js';
import { ResidencyPolicy } from '../../src/sampling/policies/residency.js';
import { ResidencyRules } from '../../src/sampling/basis/residency-check.js';
import { quietConfig, samplingConfig, span, view } from './sampling-fixtures.js';

function residency(input: unknown): ResidencyConfig {
  return residencySchema.parse(input);
}

/** A model call of tenant t1 that ran in `region`. */
function callIn(region: string, spanId = 'c'.repeat(16)): NormalizedSpan {
  return span({ spanId, usageRole: 'call', genai: { ...emptyGenAi(), operation: 'chat' }, call: { ...NO_PROVIDER_CALL, region, regionSource: region === 'unknown' ? 'none' : 'host' } });
}

const EU_ONLY = { tenants: { t1: { allowedRegions: ['eu', 'eu-*', 'europe-*'], unknownRegion: 'flag' } } };

async function counted(registry: Registry, outcome: string): Promise<number> {
  const m = await registry.getSingleMetric('agenttail_residency_sessions_total')!.get();
  return m.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

describe('residency config', () => {
  it('rejects an empty allow list, an unknown choice and stray keys, naming the field', () => {
    expect(residencySchema.safeParse({ tenants: { t1: { allowedRegions: [] } } }).error?.issues[0]?.path).toEqual(['tenants', 't1', 'allowedRegions']);
    expect(residencySchema.safeParse({ tenants: { t1: { allowedRegions: ['eu'], unknownRegion: 'maybe' } } }).success).toBe(false);
    expect(residencySchema.safeParse({ tenants: { t1: { allowedRegions: ['eu'], allowed: ['x'] } } }).success).toBe(false);
    expect(residencySchema.safeParse({ tenants: { t1: { allowedRegions: ['eu west'] } } }).success).toBe(false);
    expect(residency({})).toEqual({ enabled: true, tenants: {}, default: null });
  });
});

describe('ResidencyRules', () => {
  const rules = new ResidencyRules(residency({ ...EU_ONLY, default: { allowedRegions: ['us-*'] } }));
  it('matches wildcard patterns case-insensitively and treats global as a region like any other', () => {
    expect(['eu', 'eu-central-1', 'EUROPE-west4', 'us-east-1', 'global', 'euro'].map((r) => rules.status('t1', r))).toEqual(['ok', 'ok', 'ok', 'violation', 'violation', 'violation']);
  });
  it('reports unlocated calls as unknown, and applies the default policy to unlisted tenants', () => {
    expect(rules.status('t1', 'unknown')).toBe('unknown');
    expect(rules.status('t1', '')).toBe('unknown');
    expect(rules.status('other', 'us-west-2')).toBe('ok');
    expect(rules.status('other', 'eu-west-1')).toBe('violation');
    expect(new ResidencyRules(residency(EU_ONLY)).status('other', 'anywhere')).toBe('no_policy');
  });
});

describe('ResidencyPolicy', () => {
  it('votes a certain keep for a call outside the allowed regions and counts the session', async () => {
    const registry = new Registry();
    const p = new ResidencyPolicy({ config: residency(EU_ONLY), registry });
    expect(p.vote(view({}, [callIn('eu-west-1'), callIn('us-east-1', 'd'.repeat(16))]))).toEqual({ reason: 'residency', policyClass: 'residency', probability: 1 });
    expect(p.vote(view({}, [callIn('eu-west-1')]))).toBeNull();
    expect(await counted(registry, 'violation')).toBe(1);
  });

  it('handles an unlocated call by the tenant choice: allow ignores, flag counts, keep keeps', async () => {
    for (const [choice, vote, outcome] of [['allow', null, null], ['flag', null, 'unknown_flagged'], ['keep', 'residency', 'unknown_kept']] as const) {
      const registry = new Registry();
      const p = new ResidencyPolicy({ config: residency({ tenants: { t1: { allowedRegions: ['eu'], unknownRegion: choice } } }), registry });
      expect(p.vote(view({}, [callIn('unknown')]))?.reason ?? null, choice).toBe(vote);
      if (outcome !== null) expect(await counted(registry, outcome)).toBe(1);
    }
  });

  it('ignores spans that are not model calls and tenants without a policy', () => {
    const p = new ResidencyPolicy({ config: residency(EU_ONLY), registry: new Registry() });
    const tool = span({ genai: { ...emptyGenAi(), operation: 'execute_tool' }, call: { ...NO_PROVIDER_CALL, region: 'us-east-1' } });
    expect(p.find(view({}, [tool]))).toEqual({ violations: 0, unknown: 0 });
    expect(p.vote(view({ tenantId: 'nobody' }, [callIn('us-east-1')]))).toBeNull();
  });
});

describe('DecisionEngine with a residency policy', () => {
  it('keeps a violating session with reason residency, weight 1, whatever the baseline', () => {
    const engine = new DecisionEngine({ config: samplingConfig(quietConfig({ baselineRate: 0 })), residency: residency(EU_ONLY), now: () => 1_700_000_000_000 });
    const d = engine.decide(view({}, [callIn('us-east-1')]), 'idle');
    expect(d).toMatchObject({ kept: true, reasons: ['residency'], sampleWeight: 1 });
    expect(engine.decide(view({ sessionId: 's2' }, [callIn('eu-north-1')]), 'idle').kept).toBe(false);
  });

  it('upgrades a dropped session when a later call breaks the policy', () => {
    const engine = new DecisionEngine({ config: samplingConfig(quietConfig({ baselineRate: 0 })), residency: residency(EU_ONLY), now: () => 1_700_000_000_000 });
    const dropped = engine.decide(view({}, [callIn('eu-west-1')]), 'idle');
    expect(dropped.kept).toBe(false);
    const up = engine.reconsider(dropped, view({}, [callIn('eu-west-1'), callIn('global', 'e'.repeat(16))]));
    expect(up).toMatchObject({ kept: true, reasons: ['upgrade:residency'], trigger: 'upgrade' });
  });

  it('does nothing when switched off', () => {
    const engine = new DecisionEngine({ config: samplingConfig(quietConfig({ baselineRate: 0 })), residency: residency({ ...EU_ONLY, enabled: false }) });
    expect(engine.decide(view({}, [callIn('us-east-1')]), 'idle').kept).toBe(false);
  });
});
