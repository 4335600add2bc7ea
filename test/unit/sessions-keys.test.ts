import { describe, expect, it } from 'vitest';
import { TenantIndex } from '../../src/sessions/keys.js';

describe('TenantIndex', () => {
  describe('get', () => {
    it('keeps equal ids of two tenants apart', () => {
      const ix = new TenantIndex<number>();
      ix.set('t1', 'trace', 1);
      ix.set('t2', 'trace', 2);
      expect(ix.get('t1', 'trace')).toBe(1);
      expect(ix.get('t2', 'trace')).toBe(2);
      expect(ix.get('t3', 'trace')).toBeUndefined();
    });

    it('answers a repeated lookup from what set and deleteIf did since, not from a stale remembered value', () => {
      const ix = new TenantIndex<string>();
      expect(ix.get('t', 'a')).toBeUndefined();
      ix.set('t', 'a', 'first');
      expect(ix.get('t', 'a')).toBe('first');
      ix.set('t', 'a', 'second');
      expect(ix.get('t', 'a')).toBe('second');
      // An id built separately (another string instance) finds the same entry.
      expect(ix.get('t', ['a'].join(''))).toBe('second');
      ix.deleteIf('t', 'a', 'first');
      expect(ix.get('t', 'a')).toBe('second');
      ix.deleteIf('t', 'a', 'second');
      expect(ix.get('t', 'a')).toBeUndefined();
      ix.set('t', 'b', 'b1');
      ix.deleteIf('t', 'b', 'b1');
      expect(ix.get('t', 'b')).toBeUndefined();
    });
  });
});
