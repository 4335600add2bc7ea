import { describe, expect, it } from 'vitest';
import { OverloadGuard } from '../../src/receive/overload.js';

describe('OverloadGuard', () => {
  function guard(maxLagMs = 500) {
    const clock = { ms: 1_000 };
    const g = new OverloadGuard({ maxLagMs, intervalMs: 20, retryAfterMs: 750, now: () => clock.ms });
    g.start();
    return { g, clock };
  }

  it('admits while the sampling timer fires on time', () => {
    const { g, clock } = guard();
    for (let i = 0; i < 10; i++) {
      clock.ms += 21;
      g.tick();
      expect(g.admit().status).toBe('ok');
    }
    g.stop();
  });

  it('refuses retryably, naming the lag, after a sample came 600 ms late, and admits again once the loop catches up', () => {
    const { g, clock } = guard();
    clock.ms += 620;
    g.tick();
    const out = g.admit();
    expect(out.status).toBe('retryable');
    if (out.status === 'retryable') {
      expect(out.error.code).toBe('AGT_ERR_OVERLOADED');
      expect(out.error.message).toContain('600 ms behind (limit 500 ms)');
      expect(out.retryInMs).toBe(750);
    }
    clock.ms += 22;
    g.tick();
    expect(g.admit().status).toBe('ok');
    g.stop();
  });

  it('refuses while the loop is still busy since the last sample (the overdue sample counts)', () => {
    const { g, clock } = guard();
    clock.ms += 21;
    g.tick();
    clock.ms += 700; // callbacks queued behind each other: no sample yet
    expect(g.admit().status).toBe('retryable');
    g.stop();
  });

  it('never refuses when switched off (maxLagMs 0) or not started', () => {
    const { g, clock } = guard(0);
    clock.ms += 5_000;
    expect(g.admit().status).toBe('ok');
    const idle = new OverloadGuard({ maxLagMs: 100, retryAfterMs: 1000, now: () => clock.ms });
    clock.ms += 5_000;
    expect(idle.admit().status).toBe('ok');
  });
});

describe('OverloadGuard memory cap', () => {
  const MiB = 1024 * 1024;
  function guard(maxRssBytes: number, opts: { maxLagMs?: number } = {}) {
    const clock = { ms: 1_000 };
    const rss = { bytes: 100 * MiB, reads: 0 };
    const pressure: boolean[] = [];
    const gcs: number[] = [];
    const g = new OverloadGuard({
      maxLagMs: opts.maxLagMs ?? 0,
      maxRssBytes,
      intervalMs: 20,
      rssIntervalMs: 100,
      retryAfterMs: 750,
      now: () => clock.ms,
      readRssBytes: () => {
        rss.reads += 1;
        return rss.bytes;
      },
      onMemoryPressure: (over) => pressure.push(over),
      collectGarbage: () => gcs.push(clock.ms),
    });
    g.start();
    /** Advances the clock by `ms` in timer ticks of `step` ms. */
    const run = (ms: number, step = 100): void => {
      for (let t = 0; t < ms; t += step) {
        clock.ms += step;
        g.tick();
      }
    };
    return { g, clock, rss, pressure, gcs, run };
  }

  describe('admit', () => {
    it('refuses with AGT_ERR_MEMORY_LIMIT naming RSS and the cap once a sample is at or above the cap', () => {
      const { g, rss, pressure, run } = guard(200 * MiB);
      expect(g.admit().status).toBe('ok');
      rss.bytes = 200 * MiB;
      run(100);
      const out = g.admit();
      expect(out.status).toBe('retryable');
      if (out.status === 'retryable') {
        expect(out.error.code).toBe('AGT_ERR_MEMORY_LIMIT');
        expect(out.error.message).toBe(
          `collector at its memory limit: RSS 200.0 MiB (${200 * MiB} bytes) ≥ 160.0 MiB (${160 * MiB} bytes), 80 % of receive.overload.maxRssBytes 200.0 MiB (${200 * MiB} bytes); refusing until RSS < 150.0 MiB (${150 * MiB} bytes)`,
        );
        expect(out.retryInMs).toBe(750);
        expect(out.error.spec).toMatchObject({ grpc: 14, http: 503, retryable: true });
      }
      expect(g.memoryPressure).toBe(true);
      expect(pressure).toEqual([true]);
      g.stop();
    });

    it('refuses from 80 % of the cap, keeps refusing down to 75 %, admits below (hysteresis: one signal each way)', () => {
      const { g, rss, pressure, run } = guard(200 * MiB);
      rss.bytes = 159 * MiB; // under the refusal level
      run(100);
      expect(g.admit().status).toBe('ok');
      rss.bytes = 160 * MiB; // exactly 80 % refuses
      run(100);
      expect(g.admit().status).toBe('retryable');
      rss.bytes = 155 * MiB; // under the refusal level, over the resume level
      run(500);
      expect(g.admit().status).toBe('retryable');
      rss.bytes = 150 * MiB; // exactly the resume level still refuses
      run(100);
      expect(g.admit().status).toBe('retryable');
      rss.bytes = 149 * MiB;
      run(100);
      expect(g.admit().status).toBe('ok');
      rss.bytes = 159 * MiB; // below the refusal level again: no refusal until 80 % is reached
      run(300);
      expect(g.admit().status).toBe('ok');
      expect(pressure).toEqual([true, false]);
      g.stop();
    });

    it('samples RSS at start and then once per rssIntervalMs, not on every lag tick or request', () => {
      const { g, rss, run } = guard(200 * MiB, { maxLagMs: 500 });
      expect(rss.reads).toBe(1);
      run(1_000, 20); // 50 lag ticks
      expect(rss.reads).toBe(11);
      for (let i = 0; i < 100; i++) g.admit();
      expect(rss.reads).toBe(11);
      g.stop();
    });

    it('runs its timer with only the memory cap on, and does not check the lag then', () => {
      const { g, clock, rss } = guard(200 * MiB, { maxLagMs: 0 });
      clock.ms += 5_000; // a "lag" that would refuse were the lag check on
      expect(g.admit().status).toBe('ok');
      rss.bytes = 300 * MiB;
      g.tick();
      expect(g.admit().status).toBe('retryable');
      g.stop();
    });

    it('reports the lag first when both limits are passed', () => {
      const { g, clock, rss } = guard(200 * MiB, { maxLagMs: 500 });
      rss.bytes = 300 * MiB;
      clock.ms += 800;
      g.tick();
      const out = g.admit();
      expect(out.status === 'retryable' && out.error.code).toBe('AGT_ERR_OVERLOADED');
      g.stop();
    });

    it('forces a full collection when RSS reaches the limit, then at most every 2 s while it stays there, none below', () => {
      const { g, clock, rss, gcs, run } = guard(200 * MiB);
      run(1_000);
      expect(gcs).toEqual([]);
      rss.bytes = 190 * MiB;
      run(100);
      const first = clock.ms;
      expect(gcs).toEqual([first]);
      run(1_900);
      expect(gcs).toEqual([first]);
      run(100);
      expect(gcs).toEqual([first, first + 2_000]);
      rss.bytes = 100 * MiB;
      run(5_000);
      expect(gcs).toEqual([first, first + 2_000]);
      g.stop();
    });

    it('never refuses for memory and never reads RSS when the cap is 0', () => {
      const { g, rss, pressure, run } = guard(0, { maxLagMs: 500 });
      rss.bytes = 64 * 1024 * MiB;
      run(1_000, 20);
      expect(g.admit().status).toBe('ok');
      expect(rss.reads).toBe(0);
      expect(pressure).toEqual([]);
      expect(g.rssLimitBytes).toBe(0);
      g.stop();
    });
  });
});
