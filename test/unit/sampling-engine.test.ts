import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { SamplingConfigInput } from '../../src/config/sampling.js';
import { DecisionEngine } from '../../src/sampling/engine.js';
import { baselineHash } from '../../src/sampling/policies/baseline.js';
import type { Decision } from '../../src/model/decision.js';
import type { SessionView } from '../../src/model/session-view.js';
import { evalResult, quietConfig, samplingConfig, span, turnsView, view } from './sampling-fixtures.js';

const T0 = 1_700_000_000_000_000_000n;

function engine(input: SamplingConfigInput, now: () => number = () => 1_000_000, registry?: Registry) {
  return new DecisionEngine({ config: samplingConfig(input), now, ...(registry ? { registry } : {}) });
}

/** A session id whose baseline hash falls under (or over) `rate`. */
function sessionUnderBaseline(rate: number, under: boolean, tenantId = 't1'): string {
  for (let i = 0; ; i++) {
    const sessionId = `probe-${i}`;
    if (baselineHash({ tenantId, sessionId }) < rate === under) return sessionId;
  }
}

/** Ordinary traffic: a few common tool paths, costs and durations with mild jitter. */
function ordinary(i: number, tenantId = 't1'): SessionView {
  const paths = [['search_kb', 'answer'], ['lookup_customer', 'get_order'], ['search_kb', 'search_kb', 'answer']];
  const durMs = 3000 + (i * 37) % 2000;
  return view({
    tenantId,
    sessionId: `sess-${i}`,
    toolPath: paths[i % paths.length]!,
    costUsd: 0.01 + ((i * 13) % 10) * 0.001,
    usage: { inputTokens: 1000 + ((i * 7) % 100), outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + BigInt(durMs) * 1_000_000n,
  });
}

describe('DecisionEngine', () => {
  describe('decide()', () => {
    it('keeps an errored session with weight 1', () => {
      const d = engine(quietConfig({ policies: { error: { enabled: true } } })).decide(view({ errorCount: 2 }), 'idle');
      expect(d).toEqual({ kept: true, reasons: ['error'], sampleWeight: 1, trigger: 'idle', decidedAtMs: 1_000_000 });
    });

    it('drops on an explicit drop rule before any keep policy, with weight 0', () => {
      const e = engine({
        rules: [{ name: 'health', action: 'drop', conditions: [{ source: 'span', key: 'name', equals: 'GET /healthz' }] }],
      });
      const d = e.decide(view({ errorCount: 1 }, [span({ name: 'GET /healthz', isError: true })]), 'idle');
      expect(d.kept).toBe(false);
      expect(d.reasons).toEqual(['drop:health']);
      expect(d.sampleWeight).toBe(0);
    });

    it('lists every policy that voted keep', () => {
      const rate = 0.5;
      const sessionId = sessionUnderBaseline(rate, true);
      const e = engine({
        baselineRate: rate,
        rules: [{ name: 'vip', conditions: [{ source: 'summary', key: 'userId', equals: 'u-vip' }] }],
      });
      const d = e.decide(view({ sessionId, userId: 'u-vip', errorCount: 1, evals: [evalResult({ score: 0.1 })], toolPath: ['x'], costUsd: 50 }), 'idle');
      expect(d.kept).toBe(true);
      expect(d.reasons).toEqual(['rule:vip', 'error', 'low_eval', 'cost_outlier', 'rare_path', 'baseline']);
      expect(d.sampleWeight).toBe(1);
    });

    it('weights a baseline-only keep by 1 / baselineRate and drops the rest with weight 0 and no reasons', () => {
      const e = engine({ ...quietConfig({ baselineRate: 0.05, policies: { baseline: { enabled: true } } }) });
      const kept = e.decide(view({ sessionId: sessionUnderBaseline(0.05, true) }), 'idle');
      expect(kept).toMatchObject({ kept: true, reasons: ['baseline'] });
      expect(kept.sampleWeight).toBeCloseTo(20, 9);
      const dropped = e.decide(view({ sessionId: sessionUnderBaseline(0.05, false) }), 'idle');
      expect(dropped).toMatchObject({ kept: false, reasons: [], sampleWeight: 0 });
    });

    it('keeps a rare path at its probability and weights it by the combined probability', () => {
      const baselineRate = 0.1;
      const e = engine(quietConfig({ baselineRate, policies: { rarePath: { enabled: true, rareShare: 0.5, keepPerPath: 1 }, baseline: { enabled: true } } }));
      let kept = 0;
      let rareKept = 0;
      const n = 600;
      for (let t = 0; t < n; t++) {
        const tenantId = `tenant-${t}`;
        // History: path a seen 4 times, path b 10 times → a has share 4/14 < 0.5 and p = 1/4.
        for (let i = 0; i < 4; i++) e.decide(view({ tenantId, sessionId: `a${i}`, toolPath: ['a'] }), 'idle');
        for (let i = 0; i < 10; i++) e.decide(view({ tenantId, sessionId: `b${i}`, toolPath: ['b'] }), 'idle');
        const d = e.decide(view({ tenantId, sessionId: 'probe', toolPath: ['a'] }), 'idle');
        if (!d.kept) continue;
        kept++;
        if (d.reasons.includes('rare_path')) rareKept++;
        // P(kept) = 1 - (1 - 0.25)(1 - 0.1) = 0.325, whichever vote fired.
        expect(d.sampleWeight).toBeCloseTo(1 / 0.325, 9);
      }
      expect(kept / n).toBeGreaterThan(0.27);
      expect(kept / n).toBeLessThan(0.38);
      expect(rareKept / n).toBeGreaterThan(0.2);
      expect(rareKept / n).toBeLessThan(0.3);
    });

    it('keeps at most about 10% of ordinary sessions with the defaults', () => {
      const e = engine({});
      let kept = 0;
      const n = 3000;
      for (let i = 0; i < n; i++) if (e.decide(ordinary(i), 'idle').kept) kept++;
      expect(kept / n).toBeLessThanOrEqual(0.1);
      expect(kept / n).toBeGreaterThan(0.03);
    });

    it('keeps at most about 10% of ordinary multi-turn sessions with the defaults', () => {
      const e = engine({});
      const agents = [
        { name: 'support', paths: [['search_kb', 'get_order'], ['search_kb'], ['get_order', 'send_email']] },
        { name: 'coder', paths: [['read_file', 'edit_file', 'run_tests'], ['read_file', 'run_tests']] },
      ];
      let seed = 7;
      const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
      let kept = 0;
      const n = 1500;
      for (let i = 0; i < n; i++) {
        const agent = agents[i % agents.length]!;
        const turns = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => agent.paths[Math.floor(rand() * agent.paths.length)]!);
        const v = turnsView(`m${i}`, turns, { agentNames: [agent.name], costUsd: 0.01 + rand() * 0.01, endTimeUnixNano: T0 + BigInt(2000 + Math.floor(rand() * 3000)) * 1_000_000n });
        if (e.decide(v, 'idle').kept) kept++;
      }
      expect(kept / n).toBeLessThanOrEqual(0.1);
    });

    it('makes the same decisions for the same sequence of inputs', () => {
      const run = (): Decision[] => {
        let now = 5_000_000;
        const e = engine({ budget: { keptPerMinute: 10 } }, () => (now += 250));
        const out: Decision[] = [];
        for (let i = 0; i < 1500; i++) {
          const v = i % 17 === 0 ? view({ sessionId: `r${i}`, toolPath: [`tool${i}`] }) : ordinary(i);
          out.push(e.decide(v, 'idle'));
        }
        return out;
      };
      const a = run();
      expect(run()).toEqual(a);
      expect(a.some((d) => d.reasons.includes('budget:thinned'))).toBe(true);
    });

    it('gives the same baseline decision on independent instances', () => {
      const a = engine({});
      const b = engine({});
      for (let i = 0; i < 200; i++) {
        const v = view({ sessionId: `x${i}` });
        expect(a.decide(v, 'idle').kept).toBe(b.decide(v, 'shutdown').kept);
      }
    });

    it('thins lower-priority keeps over the budget, raises their weights and never thins errors', () => {
      let now = 0;
      const e = engine(
        quietConfig({ baselineRate: 1, policies: { error: { enabled: true }, baseline: { enabled: true } }, budget: { enabled: true, keptPerMinute: 100 } }),
        () => now,
      );
      // Four minutes of steady load: 20 errors and 380 baseline candidates a minute against a cap of 100.
      for (let minute = 0; minute < 4; minute++) {
        let errorsKept = 0;
        let ordinaryKept = 0;
        let weightSum = 0;
        for (let i = 0; i < 400; i++) {
          now = minute * 60_000 + i * 100;
          if (i % 20 === 0) {
            const d = e.decide(view({ sessionId: `e${minute}-${i}`, errorCount: 1 }), 'idle');
            if (d.kept && d.sampleWeight === 1) errorsKept++;
            continue;
          }
          const d = e.decide(view({ sessionId: `o${minute}-${i}` }), 'idle');
          expect(d.reasons).toContain('baseline');
          if (minute > 0) expect(d.reasons).toContain('budget:thinned');
          if (d.kept) {
            ordinaryKept++;
            weightSum += d.sampleWeight;
            if (minute > 0) expect(d.sampleWeight).toBeGreaterThan(1);
          }
        }
        expect(errorsKept).toBe(20);
        expect(ordinaryKept).toBeLessThanOrEqual(100);
        if (minute > 0) {
          // Once demand is known, about the 80 left after errors are kept, and weights re-estimate the 380.
          expect(ordinaryKept).toBeGreaterThan(55);
          expect(weightSum).toBeGreaterThan(250);
          expect(weightSum).toBeLessThan(520);
        }
      }
    });

    it('lets a switched-off policy vote for nothing', () => {
      const e = engine(quietConfig());
      const d = e.decide(view({ errorCount: 3, evals: [evalResult({ score: 0 })], toolPath: ['x'], costUsd: 100 }), 'idle');
      expect(d).toMatchObject({ kept: false, reasons: [] });
    });

    it('marks early decisions under memory pressure', () => {
      const d = engine(quietConfig({ policies: { error: { enabled: true } } })).decide(view({ errorCount: 1 }), 'early:memory');
      expect(d.reasons).toEqual(['error', 'early:memory']);
      expect(d.trigger).toBe('early:memory');
    });

    it('counts decisions and reasons in the registry passed in', async () => {
      const registry = new Registry();
      const e = engine(quietConfig({ policies: { error: { enabled: true } } }), undefined, registry);
      e.decide(view({ errorCount: 1 }), 'idle');
      e.decide(view({ sessionId: 's2' }), 'idle');
      const text = await registry.metrics();
      expect(text).toContain('agenttail_sampling_decisions_total{outcome="kept"} 1');
      expect(text).toContain('agenttail_sampling_decisions_total{outcome="dropped"} 1');
      expect(text).toContain('agenttail_sampling_decision_reasons_total{outcome="kept",reason="error"} 1');
    });
    it('counts sessions thinned by the budget', async () => {
      const registry = new Registry();
      const e = engine(quietConfig({ baselineRate: 1, policies: { baseline: { enabled: true } }, budget: { enabled: true, keptPerMinute: 5 } }), () => 0, registry);
      let thinned = 0;
      for (let i = 0; i < 50; i++) if (e.decide(view({ sessionId: `s${i}` }), 'idle').reasons.includes('budget:thinned')) thinned++;
      expect(thinned).toBeGreaterThan(0);
      const text = await registry.metrics();
      const counted = [...text.matchAll(/agenttail_sampling_budget_thinned_total\{outcome="(?:kept|dropped)"\} (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
      expect(counted).toBe(thinned);
    });
  });

  describe('reconsider()', () => {
    const dropped: Decision = { kept: false, reasons: [], sampleWeight: 0, trigger: 'idle', decidedAtMs: 1 };

    it('upgrades a dropped session that now has an error', () => {
      const registry = new Registry();
      const e = engine({}, () => 42, registry);
      const d = e.reconsider(dropped, view({}, [span({ isError: true })]));
      expect(d).toEqual({ kept: true, reasons: ['upgrade:error'], sampleWeight: 1, trigger: 'upgrade', decidedAtMs: 42 });
    });

    it('upgrades on a late low eval and keeps earlier reasons', () => {
      const e = engine({});
      const prev: Decision = { ...dropped, reasons: ['rare_path', 'budget:thinned'] };
      const d = e.reconsider(prev, view({ evals: [evalResult({ label: 'incorrect', score: null })] }));
      expect(d?.reasons).toEqual(['rare_path', 'budget:thinned', 'upgrade:low_eval']);
    });

    it('counts upgrades by policy', async () => {
      const registry = new Registry();
      const e = engine({}, undefined, registry);
      e.reconsider(dropped, view({ errorCount: 1, evals: [evalResult({ score: 0 })] }));
      const text = await registry.metrics();
      expect(text).toContain('agenttail_sampling_upgrades_total{policy="error"} 1');
      expect(text).toContain('agenttail_sampling_upgrades_total{policy="low_eval"} 1');
    });

    it('returns null when nothing changes', () => {
      expect(engine({}).reconsider(dropped, view({ evals: [evalResult({ score: 0.9 })] }))).toBeNull();
    });

    it('never downgrades a kept session', () => {
      const kept: Decision = { kept: true, reasons: ['baseline'], sampleWeight: 20, trigger: 'idle', decidedAtMs: 1 };
      expect(engine({}).reconsider(kept, view({ errorCount: 1 }))).toBeNull();
      expect(engine({}).reconsider(kept, view())).toBeNull();
    });

    it('leaves a session dropped by an explicit rule dropped', () => {
      expect(engine({}).reconsider({ ...dropped, reasons: ['drop:health'] }, view({ errorCount: 1 }))).toBeNull();
    });

    it('does not upgrade through a switched-off policy', () => {
      expect(engine(quietConfig()).reconsider(dropped, view({ errorCount: 1, evals: [evalResult({ score: 0 })] }))).toBeNull();
    });
  });

  describe('learn()', () => {
    const dropped: Decision = { kept: false, reasons: [], sampleWeight: 0, trigger: 'idle', decidedAtMs: 1_000_000 };

    it('warms the rare-path counts like decide() did, so a path seen before a restart is common after it', () => {
      const config = quietConfig({ policies: { rarePath: { enabled: true } } });
      const cold = engine(config);
      const warm = engine(config);
      for (let i = 0; i < 200; i++) warm.learn(ordinary(i), dropped);
      const probe = ordinary(1_000);
      expect(cold.decide(probe, 'idle').reasons).toContain('rare_path');
      expect(warm.decide(probe, 'idle').reasons).not.toContain('rare_path');
    });

    it('warms the cost quantiles, so an outlier is recognised without a new warm-up', () => {
      const config = quietConfig({ policies: { costOutlier: { enabled: true } } });
      const cold = engine(config);
      const warm = engine(config);
      for (let i = 0; i < 300; i++) warm.learn(ordinary(i), dropped);
      const outlier = view({ ...ordinary(2_000).summary, costUsd: 5 });
      expect(cold.decide(outlier, 'idle').kept).toBe(false);
      expect(warm.decide(outlier, 'idle').reasons).toContain('cost_outlier');
    });

    it('learns nothing from a session an explicit drop rule dropped', () => {
      const config = quietConfig({ policies: { rarePath: { enabled: true } } });
      const e = engine(config);
      for (let i = 0; i < 200; i++) e.learn(ordinary(i), { ...dropped, reasons: ['drop:health'] });
      expect(e.decide(ordinary(1_000), 'idle').reasons).toContain('rare_path');
    });
  });
});
