import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sharedSchema } from '../../src/config/shared.js';
import { silentLogger } from '../../src/log.js';
import type { Decision } from '../../src/model/decision.js';
import { DecisionSharing, type FollowTarget } from '../../src/shared/decision-sharing.js';
import type { DecisionsTable, PageCursor, ReadDecision, SharedDecision } from '../../src/shared/decisions-table.js';
import { KeptElsewhereMap } from '../../src/shared/kept-elsewhere.js';
import { SharedMetrics } from '../../src/shared/shared-metrics.js';

const kept = (reasons: string[] = ['error']): Decision => ({ kept: true, reasons, sampleWeight: 1, trigger: 'idle', decidedAtMs: 1 });

/** The decisions table of the other instances, in memory, on a server clock the test moves. */
class FakeTable {
  rows: ReadDecision[] = [];
  published: { rows: SharedDecision[]; token: string }[] = [];
  clockMs = 100_000;
  failing = false;
  pages = 0;

  add(sessionId: string, insertedAtMs: number, sampleWeight = 1): void {
    this.rows.push({ tenantId: 't1', sessionId, sampleWeight, reasons: ['error'], decidedAtMs: insertedAtMs, insertedAtMs });
  }

  publish(rows: readonly SharedDecision[], token: string): Promise<void> {
    if (this.failing) return Promise.reject(new Error('down'));
    this.published.push({ rows: [...rows], token });
    return Promise.resolve();
  }

  page(c: PageCursor, untilMs: number, limit: number): Promise<ReadDecision[]> {
    this.pages++;
    if (this.failing) return Promise.reject(new Error('down'));
    const after = (r: ReadDecision): boolean =>
      r.insertedAtMs > c.afterMs || (r.insertedAtMs === c.afterMs && (r.tenantId > c.afterTenantId || (r.tenantId === c.afterTenantId && r.sessionId > c.afterSessionId)));
    const sorted = [...this.rows].sort((a, b) => a.insertedAtMs - b.insertedAtMs || (a.sessionId < b.sessionId ? -1 : 1));
    return Promise.resolve(sorted.filter((r) => r.insertedAtMs < untilMs && after(r)).slice(0, limit));
  }

  serverNowMs(): Promise<number> {
    return Promise.resolve(this.clockMs);
  }
}

/** A buffer that answers `held` unless told otherwise, recording what it was asked to follow. */
class FakeBuffer implements FollowTarget {
  followed: string[] = [];
  answers = new Map<string, 'upgraded' | 'kept' | 'held'>();
  followKept(_tenantId: string, sessionId: string): 'upgraded' | 'kept' | 'held' {
    this.followed.push(sessionId);
    return this.answers.get(sessionId) ?? 'held';
  }
}

async function setup(over: Record<string, unknown> = {}) {
  const table = new FakeTable();
  const registry = new Registry();
  const metrics = new SharedMetrics(registry);
  const keptMap = new KeptElsewhereMap({ maxEntries: 100, ttlMs: 60_000, onFollowed: () => metrics.followed.inc() });
  // The instance's clock equals the server's here (no skew).
  const sharing = new DecisionSharing({
    config: sharedSchema.parse({ decisions: { pageRows: 2, maxPagesPerPoll: 2, settleMs: 1_000, lookbackMs: 10_000, maxPending: 3, ...over } }).decisions,
    table: table as unknown as DecisionsTable,
    kept: keptMap,
    metrics,
    log: silentLogger(),
    now: () => table.clockMs,
  });
  const buffer = new FakeBuffer();
  await sharing.start(buffer);
  return { table, sharing, buffer, keptMap, registry };
}

const count = async (registry: Registry, name: string): Promise<string> => (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#')).join(' ');

describe('DecisionSharing', () => {
  describe('offer() and tick()', () => {
    it('publishes each kept session once, in one insert per tick, and never a followed or dropped decision', async () => {
      const { table, sharing } = await setup();
      sharing.offer('t1', 'a', kept());
      sharing.offer('t1', 'a', kept());
      sharing.offer('t1', 'b', kept(['baseline']));
      sharing.offer('t1', 'c', kept(['shared']));
      sharing.offer('t1', 'd', kept(['error', 'upgrade:shared']));
      sharing.offer('t1', 'e', { ...kept(), kept: false });
      await sharing.tick();
      expect(table.published.map((p) => p.rows.map((r) => r.sessionId))).toEqual([['a', 'b']]);
    });

    it('retries a failed insert under the same token, and counts what the full queue could not take', async () => {
      const { table, sharing, registry } = await setup();
      table.failing = true;
      for (const id of ['a', 'b', 'c', 'd']) sharing.offer('t1', id, kept());
      await sharing.tick();
      table.failing = false;
      await sharing.tick();
      expect(table.published).toHaveLength(1);
      expect(table.published[0]!.rows.map((r) => r.sessionId)).toEqual(['a', 'b', 'c']);
      expect(await count(registry, 'agenttail_shared_decisions_dropped_total')).toContain(' 1');
      expect(await count(registry, 'agenttail_shared_decisions_queries_total')).toContain('kind="insert",outcome="failed"} 1');
    });
  });

  describe('reading', () => {
    it('follows every other instance\'s kept session once, through pages, and remembers the held ones for the engine', async () => {
      const { table, sharing, buffer, keptMap } = await setup();
      for (let i = 0; i < 5; i++) table.add(`s${i}`, 95_000 + i, 2);
      buffer.answers.set('s1', 'upgraded');
      await sharing.tick();
      // Two pages of two per tick: the backlog goes on from where it stopped.
      expect(buffer.followed).toEqual(['s0', 's1', 's2', 's3']);
      await sharing.tick();
      await sharing.tick();
      expect(buffer.followed).toEqual(['s0', 's1', 's2', 's3', 's4']);
      expect(keptMap.weightOf('t1', 's0')).toBe(2);
      expect(keptMap.weightOf('t1', 's1')).toBeUndefined();
    });

    it('reads a row only once it is settleMs old, and a row that became visible late after its turn', async () => {
      const { table, sharing, buffer } = await setup();
      table.clockMs = 200_000;
      table.add('fresh', 199_500);
      await sharing.tick();
      expect(buffer.followed).toEqual([]);
      // Inserted before the cursor's position but visible only now: not yet passed, so still read.
      table.add('late', 198_800);
      table.clockMs = 201_000;
      await sharing.tick();
      expect(buffer.followed).toEqual(['late', 'fresh']);
    });

    it('reads back lookbackMs at start, and not before', async () => {
      const table = new FakeTable();
      table.add('recent', 95_000);
      table.add('old', 80_000);
      const registry = new Registry();
      const metrics = new SharedMetrics(registry);
      const sharing = new DecisionSharing({
        config: sharedSchema.parse({ decisions: { lookbackMs: 10_000, settleMs: 0 } }).decisions,
        table: table as unknown as DecisionsTable,
        kept: new KeptElsewhereMap({ maxEntries: 10, ttlMs: 60_000, onFollowed: () => {} }),
        metrics,
        log: silentLogger(),
        now: () => table.clockMs,
      });
      const buffer = new FakeBuffer();
      await sharing.start(buffer);
      await sharing.tick();
      await sharing.close();
      expect(buffer.followed).toEqual(['recent']);
    });

    it('keeps the watermark in whole milliseconds when the clocks differ by a fraction', async () => {
      const table = new FakeTable();
      // The server's clock half a millisecond ahead of ours (the offset is measured at start).
      table.serverNowMs = () => Promise.resolve(table.clockMs + 0.5);
      const seen: PageCursor[] = [];
      const page = table.page.bind(table);
      table.page = (c, untilMs, limit) => {
        seen.push(c);
        return page(c, untilMs, limit);
      };
      const metrics = new SharedMetrics(new Registry());
      const sharing = new DecisionSharing({
        config: sharedSchema.parse({}).decisions,
        table: table as unknown as DecisionsTable,
        kept: new KeptElsewhereMap({ maxEntries: 10, ttlMs: 60_000, onFollowed: () => {} }),
        metrics,
        log: silentLogger(),
        now: () => table.clockMs,
      });
      await sharing.start(new FakeBuffer());
      await sharing.tick();
      await sharing.tick();
      expect(seen.length).toBe(2);
      expect(seen.every((c) => Number.isInteger(c.afterMs))).toBe(true);
    });

    it('retries the same page after a failed read', async () => {
      const { table, sharing, buffer } = await setup();
      table.add('x', 98_000);
      table.failing = true;
      await sharing.tick();
      table.failing = false;
      await sharing.tick();
      expect(buffer.followed).toEqual(['x']);
    });
  });
});
