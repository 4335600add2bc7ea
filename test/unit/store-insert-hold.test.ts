import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { HOLD_POLL_MS, InsertHold } from '../../src/store/insert-hold.js';
import { randomSession, seeded } from '../integration/store-fixtures.js';

/** A clock that only moves when the hold sleeps, and an RSS the test sets. */
function fakeHold(holdFromBytes: number, maxHoldMs = 1_000): { hold: InsertHold; rss: { bytes: number }; clock: { ms: number }; sleeps: number[]; onSleep: { fn: () => void } } {
  const rss = { bytes: 0 };
  const clock = { ms: 0 };
  const sleeps: number[] = [];
  const onSleep = { fn: () => {} };
  const hold = new InsertHold({
    holdFromBytes,
    maxHoldMs,
    readRssBytes: () => rss.bytes,
    now: () => clock.ms,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.ms += ms;
      onSleep.fn();
    },
  });
  return { hold, rss, clock, sleeps, onSleep };
}

describe('InsertHold', () => {
  it('lets an insert through at once while RSS is under the line', async () => {
    const f = fakeHold(500);
    f.rss.bytes = 499;
    expect(await f.hold.waitForRoom()).toBe(0);
    expect(f.sleeps).toEqual([]);
  });

  it('holds an insert while RSS is at or above the line and lets it go once RSS falls under it', async () => {
    const f = fakeHold(500);
    f.rss.bytes = 500;
    f.onSleep.fn = () => {
      if (f.clock.ms >= 3 * HOLD_POLL_MS) f.rss.bytes = 400;
    };
    expect(await f.hold.waitForRoom()).toBe(3 * HOLD_POLL_MS);
    expect(f.sleeps).toEqual([HOLD_POLL_MS, HOLD_POLL_MS, HOLD_POLL_MS]);
  });

  it('sends the insert anyway once it has waited maxHoldMs (an RSS that stays high cannot stop the store)', async () => {
    const f = fakeHold(500, 100);
    f.rss.bytes = 900;
    expect(await f.hold.waitForRoom()).toBe(100);
    expect(f.sleeps.length).toBe(100 / HOLD_POLL_MS);
  });

  it('never holds with no line (no memory cap)', async () => {
    const f = fakeHold(0);
    f.rss.bytes = 1e12;
    expect(await f.hold.waitForRoom()).toBe(0);
  });
});

/** Counts the inserts it is sent. */
class CountingClient {
  inserts = 0;

  async exec(params: { values?: Readable }): Promise<{ stream: Readable }> {
    for await (const _ of params.values!) void _;
    this.inserts++;
    return { stream: Readable.from([]) };
  }

  async close(): Promise<void> {}
}

describe('ClickHouseStore with an insert hold', () => {
  it('sends no insert while RSS is at the refusal line, then writes every row once it falls, and counts the wait', async () => {
    const f = fakeHold(500, 60_000);
    f.rss.bytes = 550;
    const client = new CountingClient();
    const registry = new Registry();
    let sentWhileHigh = -1;
    f.onSleep.fn = () => {
      // After ten polls at the line, nothing has been inserted; then RSS falls.
      if (f.sleeps.length === 10) {
        sentWhileHigh = client.inserts;
        f.rss.bytes = 400;
      }
    };
    const store = new ClickHouseStore({
      client: client as unknown as ClickHouseClient,
      database: 'agenttail',
      retry: { initialMs: 1, maxMs: 2, maxAttempts: 10 },
      log: silentLogger(),
      registry,
      insertHold: f.hold,
      flushIntervalMs: 3_600_000,
    });
    store.write(randomSession({ tenantId: 't', rand: seeded(3), kept: true, baseNs: 1_700_000_000_000_000_000n }).write);
    await store.forceFlush();
    expect(sentWhileHigh).toBe(0);
    expect(client.inserts).toBeGreaterThan(0);
    const held = (await registry.getSingleMetric('agenttail_store_inserts_held_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    const seconds = (await registry.getSingleMetric('agenttail_store_insert_hold_seconds_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    // Only the first insert waited (RSS was under the line for the others).
    expect(held).toBe(1);
    expect(seconds).toBeCloseTo((10 * HOLD_POLL_MS) / 1000, 6);
    await store.shutdown();
  });
});

describe('ClickHouseStore closing with an insert hold', () => {
  it('stops holding once closing, so the last rows go in while RSS is still at the line', async () => {
    const f = fakeHold(500, 60_000);
    f.rss.bytes = 550; // stays at the line for good
    const client = new CountingClient();
    const store = new ClickHouseStore({
      client: client as unknown as ClickHouseClient,
      database: 'agenttail',
      retry: { initialMs: 1, maxMs: 2, maxAttempts: 10 },
      log: silentLogger(),
      insertHold: f.hold,
      flushIntervalMs: 3_600_000,
    });
    store.write(randomSession({ tenantId: 't', rand: seeded(5), kept: true, baseNs: 1_700_000_000_000_000_000n }).write);
    await store.shutdown();
    expect(client.inserts).toBeGreaterThan(0);
    // Without the stop the first insert would wait the whole 60 s hold (2,400 polls).
    expect(f.sleeps.length).toBe(0);
  });
});
