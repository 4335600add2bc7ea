import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sharedSchema } from '../../src/config/shared.js';
import { silentLogger } from '../../src/log.js';
import { DecisionEngine } from '../../src/sampling/engine.js';
import { WarmStart, type SessionHistory } from '../../src/sampling/warm-start.js';
import type { StoredKey, StoredSession } from '../../src/store/history-reader.js';
import { quietConfig, samplingConfig, view } from './sampling-fixtures.js';

function stored(i: number, over: Partial<StoredSession> = {}): StoredSession {
  return { tenantId: 't1', sessionId: `s${i}`, agentNames: ['support'], costUsd: 0.01, inputTokens: 1_000 + i, outputTokens: 100, durationNs: 1_000_000_000n, toolPath: [], traceIds: [], reasons: [], decidedAtMs: 1_000 + i, ...over };
}

/** A history over a fixed list of stored sessions, counting the row queries. */
function history(rows: StoredSession[]): SessionHistory & { sessionQueries: number; fail: boolean } {
  const h = {
    sessionQueries: 0,
    fail: false,
    keys: (): Promise<StoredKey[]> => {
      if (h.fail) return Promise.reject(new Error('ClickHouse down'));
      const seen = new Map(rows.map((r) => [`${r.tenantId}/${r.agentNames.join(',')}`, { tenantId: r.tenantId, agentNames: r.agentNames }]));
      return Promise.resolve([...seen.values()]);
    },
    sessions: (keys: readonly StoredKey[], _since: number, perKey: number): Promise<StoredSession[]> => {
      h.sessionQueries++;
      const wanted = new Set(keys.map((k) => `${k.tenantId}/${k.agentNames.join(',')}`));
      return Promise.resolve(rows.filter((r) => wanted.has(`${r.tenantId}/${r.agentNames.join(',')}`)).slice(-perKey));
    },
  };
  return h;
}

function setup(rows: StoredSession[]) {
  const engine = new DecisionEngine({ config: samplingConfig(quietConfig({ policies: { costOutlier: { enabled: true, maxCostUsd: null, maxTokens: null } } })) });
  const h = history(rows);
  const registry = new Registry();
  const warm = new WarmStart({ config: sharedSchema.parse({}).warmStart, history: h, policies: engine, log: silentLogger(), registry, now: () => 10_000 });
  return { engine, h, warm, registry };
}

describe('WarmStart', () => {
  describe('run()', () => {
    it('seeds a cold key so the next outlier is kept at once', async () => {
      const { engine, warm } = setup(Array.from({ length: 60 }, (_, i) => stored(i)));
      expect(engine.isCold('t1', ['support'])).toBe(true);
      expect(await warm.run()).toEqual({ keysSeen: 1, coldKeys: 1, sessionsLearned: 60 });
      expect(engine.isCold('t1', ['support'])).toBe(false);
      expect(engine.decide(view({ costUsd: 0.01, usage: { inputTokens: 50_000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } }), 'idle').reasons).toEqual(['cost_outlier']);
    });

    it('reads no rows for keys already warm here', async () => {
      const { h, warm } = setup(Array.from({ length: 60 }, (_, i) => stored(i)));
      await warm.run();
      expect(await warm.run()).toEqual({ keysSeen: 1, coldKeys: 0, sessionsLearned: 0 });
      expect(h.sessionQueries).toBe(1);
    });

    it('never learns a stored session twice when a key stays cold across runs', async () => {
      // 10 sessions (under the warm-up of 50) decided in the same millisecond: the key stays cold, runs repeat.
      const { engine, warm } = setup(Array.from({ length: 10 }, (_, i) => stored(i, { decidedAtMs: 5_000 })));
      await warm.run();
      expect(await warm.run()).toMatchObject({ coldKeys: 1, sessionsLearned: 0 });
      expect(engine.isCold('t1', ['support'])).toBe(true);
    });

    it('learns nothing from sessions an explicit drop rule dropped', async () => {
      const { engine, warm } = setup(Array.from({ length: 60 }, (_, i) => stored(i, { reasons: ['drop:health'] })));
      await warm.run();
      expect(engine.isCold('t1', ['support'])).toBe(true);
    });

    it('answers null and counts a failed run when the store fails', async () => {
      const { h, warm, registry } = setup([stored(1)]);
      h.fail = true;
      expect(await warm.run()).toBeNull();
      expect(await registry.getSingleMetricAsString('agenttail_warm_start_runs_total')).toContain('outcome="failed"} 1');
    });
  });
});
