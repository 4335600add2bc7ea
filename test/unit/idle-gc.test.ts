import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { IdleGc } from '../../src/main/idle-gc.js';

const MiB = 1024 * 1024;

function rig(opts: { heap: number; busy: number }) {
  const state = { ...opts, collections: 0, collectable: true };
  const registry = new Registry();
  const gc = new IdleGc({
    registry,
    minGrowthBytes: 64 * MiB,
    readHeapUsed: () => state.heap,
    readUtilization: () => state.busy,
    collectGarbage: () => {
      if (!state.collectable) return false;
      state.collections += 1;
      state.heap = 150 * MiB; // what is live stays
      return true;
    },
  });
  return { gc, state, registry };
}

describe('IdleGc', () => {
  it('collects once the loop has been idle twice in a row with the heap grown 64 MiB, and counts it', async () => {
    const { gc, state, registry } = rig({ heap: 100 * MiB, busy: 0.9 });
    state.heap = 300 * MiB;
    expect(gc.tick()).toBe(false); // busy
    state.busy = 0.01;
    expect(gc.tick()).toBe(false); // idle once
    expect(gc.tick()).toBe(true); // idle twice
    expect(state.collections).toBe(1);
    expect((await registry.getSingleMetric('agenttail_process_idle_gc_total')!.get()).values[0]!.value).toBe(1);
  });

  it('never pauses a busy loop, however much the heap grew', () => {
    const { gc, state } = rig({ heap: 100 * MiB, busy: 0.5 });
    state.heap = 900 * MiB;
    for (let i = 0; i < 10; i++) expect(gc.tick()).toBe(false);
    expect(state.collections).toBe(0);
  });

  it('does not collect a live heap again until it grows by as much once more', () => {
    const { gc, state } = rig({ heap: 100 * MiB, busy: 0.01 });
    state.heap = 300 * MiB;
    gc.tick();
    expect(gc.tick()).toBe(true);
    // After the collection 150 MiB stay live (buffered sessions): idle for long, nothing more to do.
    for (let i = 0; i < 10; i++) expect(gc.tick()).toBe(false);
    state.heap = 150 * MiB + 63 * MiB;
    for (let i = 0; i < 3; i++) expect(gc.tick()).toBe(false);
    state.heap = 150 * MiB + 65 * MiB;
    expect(gc.tick()).toBe(true);
    expect(state.collections).toBe(2);
  });

  it('does nothing when the runtime cannot collect on demand', () => {
    const { gc, state } = rig({ heap: 100 * MiB, busy: 0.01 });
    state.collectable = false;
    state.heap = 400 * MiB;
    for (let i = 0; i < 5; i++) expect(gc.tick()).toBe(false);
  });

  it('counts a check with no new Export request as idle even when the loop looks busy (a CPU-starved machine), and not one with traffic', () => {
    const state = { heap: 100 * MiB, requests: 0, collections: 0 };
    const gc = new IdleGc({
      registry: new Registry(),
      minGrowthBytes: 64 * MiB,
      readHeapUsed: () => state.heap,
      readUtilization: () => 0.4,
      readActivity: () => state.requests,
      collectGarbage: () => {
        state.collections += 1;
        state.heap = 150 * MiB;
        return true;
      },
    });
    state.heap = 300 * MiB;
    for (let i = 0; i < 5; i++) {
      state.requests += 3;
      expect(gc.tick()).toBe(false); // traffic: busy
    }
    expect(gc.tick()).toBe(false); // no request since the last check: idle once
    expect(gc.tick()).toBe(true); // twice
    expect(state.collections).toBe(1);
  });

  it('compacts while the heap is at most maxCompactHeapBytes, and runs the plain collection above it (the compacting pause grows with the heap)', () => {
    const state = { heap: 100 * MiB, plain: 0, compacting: 0 };
    const gc = new IdleGc({
      registry: new Registry(),
      minGrowthBytes: 64 * MiB,
      maxCompactHeapBytes: 512 * MiB,
      readHeapUsed: () => state.heap,
      readUtilization: () => 0.01,
      collectGarbage: () => {
        state.plain += 1;
        return true;
      },
      compactGarbage: () => {
        state.compacting += 1;
        return true;
      },
    });
    state.heap = 300 * MiB;
    gc.tick();
    expect(gc.tick()).toBe(true);
    expect(state).toMatchObject({ compacting: 1, plain: 0 });
    state.heap = 900 * MiB;
    gc.tick();
    expect(gc.tick()).toBe(true);
    expect(state).toMatchObject({ compacting: 1, plain: 1 });
  });

  it('trims the malloc heap after each idle collection, and on an idle check with traffic since the last trim at most every 10 s; never while busy', () => {
    const state = { heap: 100 * MiB, busy: 0.9, requests: 0, trims: 0, nowMs: 0 };
    const gc = new IdleGc({
      registry: new Registry(),
      minGrowthBytes: 64 * MiB,
      readHeapUsed: () => state.heap,
      readUtilization: () => state.busy,
      readActivity: () => state.requests,
      now: () => state.nowMs,
      collectGarbage: () => {
        state.heap = 150 * MiB;
        return true;
      },
      trimMalloc: () => {
        state.trims += 1;
        return Promise.resolve(true);
      },
    });
    const tick = (busy: number, requests: number) => {
      state.busy = busy;
      state.requests += requests;
      state.nowMs += 1_000;
      return gc.tick();
    };
    state.heap = 300 * MiB;
    for (let i = 0; i < 5; i++) tick(0.9, 50);
    expect(state.trims).toBe(0); // busy: nothing
    tick(0.01, 0);
    expect(tick(0.01, 0)).toBe(true); // idle twice: collected, then trimmed
    expect(state.trims).toBe(1);
    for (let i = 0; i < 5; i++) tick(0.01, 0);
    expect(state.trims).toBe(1); // idle with no traffic since: nothing freed since the trim
    // A trickle of traffic (the loop stays idle): native memory it freed goes back, at most every 10 s.
    // 25 checks a second apart, from 6 s after the first trim: trims 10, 20 and 30 s after it.
    for (let i = 0; i < 25; i++) tick(0.01, 1);
    expect(state.trims).toBe(4);
  });
});
