import { describe, expect, it } from 'vitest';
import { DecisionEngine } from '../../src/sampling/engine.js';
import { KeptElsewhereMap } from '../../src/shared/kept-elsewhere.js';
import { SharingStore } from '../../src/shared/sharing-store.js';
import { quietConfig, samplingConfig, view } from './sampling-fixtures.js';
import { FakeStore, harness, sid, span, trace } from './sessions-fixtures.js';

describe('DecisionEngine', () => {
  describe('decide() with kept decisions of other instances', () => {
    const config = samplingConfig(quietConfig({ rules: [{ name: 'health', action: 'drop', conditions: [{ source: 'summary', key: 'sessionId', equals: 'health' }] }] }));

    it('keeps a session another instance kept, with its weight and the reason shared', () => {
      let followed = 0;
      const kept = new KeptElsewhereMap({ maxEntries: 10, ttlMs: 60_000, onFollowed: () => followed++ });
      kept.set('t1', 's1', 20);
      const engine = new DecisionEngine({ config, keptElsewhere: kept });
      expect(engine.decide(view({ sessionId: 's1' }), 'idle')).toMatchObject({ kept: true, reasons: ['shared'], sampleWeight: 20 });
      expect(engine.decide(view({ sessionId: 's2' }), 'idle').kept).toBe(false);
      expect(followed).toBe(1);
    });

    it('leaves a session an explicit drop rule drops dropped', () => {
      const kept = new KeptElsewhereMap({ maxEntries: 10, ttlMs: 60_000, onFollowed: () => {} });
      kept.set('t1', 'health', 1);
      const engine = new DecisionEngine({ config, keptElsewhere: kept });
      expect(engine.decide(view({ sessionId: 'health' }), 'idle').kept).toBe(false);
    });
  });
});

describe('SessionBuffer', () => {
  describe('followKept()', () => {
    it('upgrades a dropped session to kept with upgrade:shared and the other instance\'s weight', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'sx', traceId: trace(1), spanId: sid(1) })]);
      h.advance(6_000);
      expect(h.store.of('sx').map((w) => w.decision.kept)).toEqual([false]);
      expect(h.buffer.followKept('t1', 'sx', 5)).toBe('upgraded');
      const last = h.store.of('sx').at(-1)!;
      expect(last.decision).toMatchObject({ kept: true, reasons: ['upgrade:shared'], sampleWeight: 5, trigger: 'upgrade' });
      expect(last.version).toBe(2);
      // Late spans now follow the kept decision; a second notice changes nothing.
      expect(h.buffer.followKept('t1', 'sx', 5)).toBe('kept');
      await h.buffer.accept([span({ sessionId: 'sx', traceId: trace(2), spanId: sid(2) })]);
      expect(h.store.of('sx').at(-1)!.storeSpans).toBe(true);
    });

    it('answers held for a session open here or never seen', async () => {
      const h = harness();
      await h.buffer.accept([span({ sessionId: 'open', traceId: trace(1), spanId: sid(1) })]);
      expect(h.buffer.followKept('t1', 'open', 1)).toBe('held');
      expect(h.buffer.followKept('t1', 'unknown', 1)).toBe('held');
      expect(h.store.writes).toEqual([]);
    });
  });
});

describe('SharingStore', () => {
  describe('write()', () => {
    it('offers the decision of every write the store took, except backfills', () => {
      const inner = new FakeStore();
      const offered: string[] = [];
      const store = new SharingStore(inner, (_t, s, d) => offered.push(`${s}:${d.kept}`));
      const w = { summary: view({ sessionId: 'a' }).summary, decision: { kept: true, reasons: ['error'], sampleWeight: 1, trigger: 'idle' as const, decidedAtMs: 1 }, version: 1, spans: [], storeSpans: true, countUsage: true };
      expect(store.write(w).status).toBe('ok');
      store.write({ ...w, part: 'backfill' });
      expect(offered).toEqual(['a:true']);
      expect(inner.writes).toHaveLength(2);
    });
  });
});
