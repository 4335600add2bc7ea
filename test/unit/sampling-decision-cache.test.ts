import { describe, expect, it } from 'vitest';
import { DecisionCache, type CachedSession } from '../../src/sampling/decision-cache.js';
import { summary } from './sampling-fixtures.js';

function entry(sessionId: string, kept = false): CachedSession {
  return {
    decision: { kept, reasons: kept ? ['error'] : [], sampleWeight: kept ? 1 : 0, trigger: 'idle', decidedAtMs: 0 },
    summary: summary({ sessionId }),
    version: 1,
  };
}

describe('DecisionCache', () => {
  describe('get()', () => {
    it('returns what was set, keyed by tenant and session', () => {
      const c = new DecisionCache({ ttlMs: 1000, maxEntries: 10 });
      c.set('a', 's1', entry('s1', true));
      expect(c.get('a', 's1')?.decision.kept).toBe(true);
      expect(c.get('b', 's1')).toBeUndefined();
    });

    it('expires entries after the TTL', () => {
      let now = 0;
      const c = new DecisionCache({ ttlMs: 1000, maxEntries: 10, now: () => now });
      c.set('a', 's1', entry('s1'));
      now = 999;
      expect(c.get('a', 's1')).toBeDefined();
      now = 1001;
      expect(c.get('a', 's1')).toBeUndefined();
    });

    it('restarts the TTL when an entry is set again', () => {
      let now = 0;
      const c = new DecisionCache({ ttlMs: 1000, maxEntries: 10, now: () => now });
      c.set('a', 's1', entry('s1'));
      now = 800;
      c.set('a', 's1', { ...entry('s1', true), version: 2 });
      now = 1500;
      expect(c.get('a', 's1')?.version).toBe(2);
    });
  });

  describe('size', () => {
    it('holds at most maxEntries, evicting the least recently used', () => {
      const c = new DecisionCache({ ttlMs: 60_000, maxEntries: 3 });
      for (const id of ['s1', 's2', 's3']) c.set('a', id, entry(id));
      c.get('a', 's1');
      c.set('a', 's4', entry('s4'));
      expect(c.size).toBe(3);
      expect(c.get('a', 's2')).toBeUndefined();
      expect(c.get('a', 's1')).toBeDefined();
    });
  });

  describe('maxBytes', () => {
    it('evicts the least recently used sessions past the byte bound, and counts them', () => {
      const c = new DecisionCache({ ttlMs: 60_000, maxEntries: 1_000, maxBytes: 64 * 1024 });
      for (let i = 0; i < 200; i++) c.set('a', `s${i}`, entry(`s${i}`));
      expect(c.size).toBeLessThan(200);
      expect(c.evictedSessions).toBe(200 - c.size);
      expect(c.bytes).toBeLessThanOrEqual(64 * 1024);
      expect(c.get('a', 's199')).toBeDefined();
      expect(c.get('a', 's0')).toBeUndefined();
    });
  });

  describe('sessionOfTrace()', () => {
    it('resolves a trace id to its session per tenant, until the TTL', () => {
      let now = 0;
      const c = new DecisionCache({ ttlMs: 1000, maxEntries: 10, now: () => now });
      c.setTrace('a', 'trace1', 's1');
      expect(c.sessionOfTrace('a', 'trace1')).toBe('s1');
      expect(c.sessionOfTrace('b', 'trace1')).toBeUndefined();
      now = 2000;
      expect(c.sessionOfTrace('a', 'trace1')).toBeUndefined();
    });
  });

  describe('purgeStale()', () => {
    it('removes expired entries from the size', () => {
      let now = 0;
      const c = new DecisionCache({ ttlMs: 1000, maxEntries: 10, now: () => now });
      c.set('a', 's1', entry('s1'));
      c.set('a', 's2', entry('s2'));
      now = 5000;
      c.purgeStale();
      expect(c.size).toBe(0);
    });
  });
});
