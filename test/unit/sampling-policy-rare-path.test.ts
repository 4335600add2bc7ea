import { describe, expect, it } from 'vitest';
import { RarePathPolicy } from '../../src/sampling/policies/rare-path.js';
import { samplingConfig, turnsView, view } from './sampling-fixtures.js';

const HOUR = 3_600_000;

function policy(over: Record<string, unknown> = {}) {
  return new RarePathPolicy({ config: samplingConfig({ policies: { rarePath: { halfLifeMs: HOUR, rareShare: 0.05, keepPerPath: 2, ...over } } }).policies.rarePath });
}

/** Votes, then learns, as the engine does for each decided session. */
function decide(p: RarePathPolicy, v: ReturnType<typeof view>, nowMs: number): void {
  p.vote(v, nowMs);
  p.learn(v, nowMs);
}

describe('RarePathPolicy', () => {
  describe('probability()', () => {
    it('is 1 for a path never seen', () => {
      expect(policy().probability(0, 1000)).toBe(1);
    });

    it('rises as the count falls, and is 0 for common paths', () => {
      const p = policy();
      expect(p.probability(2, 1000)).toBe(1);
      expect(p.probability(10, 1000)).toBeCloseTo(0.2, 9);
      expect(p.probability(40, 1000)).toBeCloseTo(0.05, 9);
      expect(p.probability(50, 1000)).toBe(0);
    });
  });

  describe('vote()', () => {
    it('always keeps a path never seen before', () => {
      const p = policy();
      for (let i = 0; i < 200; i++) decide(p, view({ sessionId: `c${i}`, toolPath: ['search', 'answer'] }), 0);
      const v = p.vote(view({ sessionId: 'new', toolPath: ['search', 'refund', 'refund', 'refund'] }), 0);
      expect(v).toEqual({ reason: 'rare_path', policyClass: 'rare_path', probability: 1 });
    });

    it('stops voting for a path once it is common', () => {
      const p = policy();
      const common = { toolPath: ['search', 'answer'] };
      expect(p.vote(view({ sessionId: 'c0', ...common }), 0)?.probability).toBe(1);
      p.learn(view({ sessionId: 'c0', ...common }), 0);
      for (let i = 1; i < 100; i++) decide(p, view({ sessionId: `c${i}`, ...common }), 0);
      expect(p.vote(view({ sessionId: 'c100', ...common }), 0)).toBeNull();
    });

    it('gives a thin probability to a path below rareShare but seen often', () => {
      const p = policy();
      for (let i = 0; i < 1000; i++) decide(p, view({ sessionId: `c${i}`, toolPath: ['a'] }), 0);
      for (let i = 0; i < 20; i++) decide(p, view({ sessionId: `r${i}`, toolPath: ['b'] }), 0);
      // 20 of ~1020: share 2% < 5%, probability keepPerPath / 20.
      expect(p.vote(view({ sessionId: 'r20', toolPath: ['b'] }), 0)?.probability).toBeCloseTo(0.1, 6);
    });

    it('does not vote for or learn sessions without tool calls', () => {
      const p = policy();
      expect(p.vote(view({ toolPath: [] }), 0)).toBeNull();
      p.learn(view({ toolPath: [] }), 0);
      expect(p.observe(view({ toolPath: [] }), 0)).toBeNull();
    });

    it('forgets a path after enough half-lives', () => {
      const p = policy();
      for (let i = 0; i < 100; i++) decide(p, view({ sessionId: `c${i}`, toolPath: ['a'] }), 0);
      expect(p.vote(view({ toolPath: ['a'] }), 0)).toBeNull();
      p.learn(view({ toolPath: ['a'] }), 0);
      expect(p.vote(view({ toolPath: ['a'] }), 10 * HOUR)?.probability).toBe(1);
    });

    it('keeps tenants apart', () => {
      const p = policy();
      for (let i = 0; i < 100; i++) decide(p, view({ tenantId: 'a', sessionId: `c${i}`, toolPath: ['x'] }), 0);
      expect(p.vote(view({ tenantId: 'b', toolPath: ['x'] }), 0)?.probability).toBe(1);
    });

    it('treats a different agent with the same tools as another path', () => {
      const p = policy();
      for (let i = 0; i < 100; i++) decide(p, view({ sessionId: `c${i}`, agentNames: ['a'], toolPath: ['x'] }), 0);
      expect(p.vote(view({ agentNames: ['b'], toolPath: ['x'] }), 0)?.probability).toBe(1);
    });
  
    it('keeps multi-turn sessions made of common turns common (scope trace)', () => {
      const p = policy();
      const turns = [['search', 'answer'], ['lookup'], ['search']];
      // Warm up on single-turn sessions of each common turn.
      for (let i = 0; i < 60; i++) decide(p, turnsView(`w${i}`, [turns[i % 3]!]), 0);
      // A combination never seen as a whole is not rare when each of its turns is common.
      expect(p.vote(turnsView('combo', [turns[2]!, turns[0]!, turns[1]!, turns[0]!]), 0)).toBeNull();
      p.learn(turnsView('combo', [turns[2]!, turns[0]!, turns[1]!, turns[0]!]), 0);
      // One unusual turn makes the session rare.
      expect(p.vote(turnsView('odd', [turns[0]!, ['refund', 'refund', 'refund', 'refund']]), 0)?.probability).toBe(1);
    });

    it('treats the whole session path as one path under scope session', () => {
      const p = policy({ scope: 'session' });
      const turns = [['search', 'answer'], ['lookup'], ['search']];
      for (let i = 0; i < 60; i++) decide(p, turnsView(`w${i}`, [turns[i % 3]!]), 0);
      expect(p.vote(turnsView('combo', [turns[2]!, turns[0]!, turns[1]!, turns[0]!]), 0)?.probability).toBe(1);
    });

    it('does not let a path repeated within one session count itself', () => {
      const p = policy();
      expect(p.observe(turnsView('s', [['x'], ['x']]), 0)).toMatchObject({ count: 0, probability: 1 });
    });
  });
});
