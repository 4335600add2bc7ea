import { describe, expect, it } from 'vitest';
import { BaselinePolicy, baselineHash, sessionKey } from '../../src/sampling/policies/baseline.js';
import { murmur3 } from '../../src/sampling/basis/hash.js';

describe('BaselinePolicy', () => {
  describe('vote()', () => {
    it('votes with the configured rate', () => {
      expect(new BaselinePolicy({ rate: 0.05 }).vote()).toEqual({ reason: 'baseline', policyClass: 'baseline', probability: 0.05 });
    });

    it('does not vote at rate 0', () => {
      expect(new BaselinePolicy({ rate: 0 }).vote()).toBeNull();
    });
  });

  describe('baselineHash()', () => {
    it('is murmur3 of tenant NUL session, the same on every instance', () => {
      const s = { tenantId: 'acme', sessionId: 'sess-42' };
      expect(sessionKey(s)).toBe('acme\u0000sess-42');
      expect(baselineHash(s)).toBe(murmur3('acme\u0000sess-42', 0) / 2 ** 32);
    });

    it('separates equal session ids of two tenants', () => {
      expect(baselineHash({ tenantId: 'a', sessionId: 'x' })).not.toBe(baselineHash({ tenantId: 'b', sessionId: 'x' }));
    });

    it('selects about the rate', () => {
      let kept = 0;
      for (let i = 0; i < 10_000; i++) if (baselineHash({ tenantId: 't', sessionId: `s${i}` }) < 0.05) kept++;
      expect(kept).toBeGreaterThan(400);
      expect(kept).toBeLessThan(600);
    });
  });
});
