import { describe, expect, it } from 'vitest';
import { murmur3, seedOf, unitHash } from '../../src/sampling/basis/hash.js';

describe('murmur3', () => {
  describe('murmur3()', () => {
    it('matches the reference MurmurHash3 x86_32 vectors', () => {
      expect(murmur3('', 0)).toBe(0);
      expect(murmur3('', 1)).toBe(0x514e28b7);
      expect(murmur3('hello', 0)).toBe(0x248bfa47);
      expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
    });

    it('hashes the UTF-8 bytes of non-ASCII and long strings', () => {
      const long = 'ü'.repeat(500);
      expect(murmur3(long)).toBe(murmur3(long));
      expect(murmur3('héllo')).not.toBe(murmur3('hello'));
    });
  });

  describe('unitHash()', () => {
    it('spreads keys uniformly over [0, 1)', () => {
      const n = 20_000;
      let under = 0;
      for (let i = 0; i < n; i++) {
        const u = unitHash(`tenant\u0000session-${i}`);
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThan(1);
        if (u < 0.1) under++;
      }
      expect(under / n).toBeGreaterThan(0.09);
      expect(under / n).toBeLessThan(0.11);
    });

    it('gives independent draws for different seeds', () => {
      const a = seedOf('rare_path');
      const b = seedOf('error');
      let both = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) if (unitHash(`k${i}`, a) < 0.5 && unitHash(`k${i}`, b) < 0.5) both++;
      expect(both / n).toBeGreaterThan(0.23);
      expect(both / n).toBeLessThan(0.27);
    });
  });
});
