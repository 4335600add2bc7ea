import { describe, expect, it } from 'vitest';
import { compactDecision, compactSummary, Interner } from '../../src/sampling/compact-entry.js';
import { DecisionCache } from '../../src/sampling/decision-cache.js';
import { summary } from './sampling-fixtures.js';

/** A copy of `s` made of new string objects (as two decoded requests give). */
const fresh = (s: string): string => [...s].join('');

describe('Interner', () => {
  describe('list()', () => {
    it('hands equal lists the same frozen array of the same strings', () => {
      const i = new Interner();
      const a = i.list(['read_file', 'edit_file']);
      const b = i.list([fresh('read_file'), fresh('edit_file')]);
      expect(b).toBe(a);
      expect(Object.isFrozen(a)).toBe(true);
      expect(i.list(['read_file'])[0]).toBe(a[0]);
    });

    it('tells lists apart whatever their strings hold', () => {
      const i = new Interner();
      expect(i.list(['a\u0000b'])).toEqual(['a\u0000b']);
      expect(i.list(['a', 'b'])).toEqual(['a', 'b']);
      expect(i.list([])).toEqual([]);
      expect(i.list([''])).toEqual(['']);
    });

    it('tells apart lists whose strings join to the same text, a NUL moved from one string to the next', () => {
      const i = new Interner();
      expect(i.list(['a\u0000', 'b'])).toEqual(['a\u0000', 'b']);
      expect(i.list(['a', '\u0000b'])).toEqual(['a', '\u0000b']);
      expect(i.list(['1:a', ''])).toEqual(['1:a', '']);
      expect(i.list(['1:a1:', ''])).toEqual(['1:a1:', '']);
      expect(i.list(['', '1:a'])).toEqual(['', '1:a']);
    });

    it('starts over when full, still answering equal values', () => {
      const i = new Interner(2);
      for (const n of ['a', 'b', 'c', 'd']) expect(i.list([n])).toEqual([n]);
      expect(i.string('x')).toBe('x');
    });
  });
});

describe('compactSummary()', () => {
  it('is equal to the summary in every field', () => {
    const i = new Interner();
    const s = summary({ toolPath: ['a', 'b'], callModels: ['m'], traceIds: ['t1', 't2'], userId: 'u1' });
    expect(compactSummary(s, i)).toStrictEqual(s);
    const { callModels: _omit, ...old } = s; // a summary logged before callModels existed
    expect(compactSummary(old, i)).toStrictEqual(old);
  });
});

describe('compactDecision()', () => {
  it('is equal to the decision, its detector report included', () => {
    const d = { kept: true, reasons: ['tool_loop'], sampleWeight: 1, trigger: 'idle' as const, decidedAtMs: 5, detectors: { fired: ['tool_loop' as const], figures: { loopLength: 4 }, culprits: [] } };
    expect(compactDecision(d, new Interner())).toStrictEqual(d);
  });
});

describe('DecisionCache', () => {
  describe('set()', () => {
    it('holds an equal copy, sharing the names of different sessions', () => {
      const c = new DecisionCache({ ttlMs: 1000, maxEntries: 10 });
      const decision = { kept: false, reasons: [], sampleWeight: 0, trigger: 'idle' as const, decidedAtMs: 0 };
      const s1 = summary({ sessionId: 's1', serviceNames: ['svc'] });
      const s2 = summary({ sessionId: 's2', serviceNames: [fresh('svc')] });
      c.set('t', 's1', { decision, summary: s1, version: 1 });
      c.set('t', 's2', { decision, summary: s2, version: 1 });
      expect(c.get('t', 's1')?.summary).toStrictEqual(s1);
      expect(c.get('t', 's2')?.summary.serviceNames).toBe(c.get('t', 's1')?.summary.serviceNames);
    });
  });
});
