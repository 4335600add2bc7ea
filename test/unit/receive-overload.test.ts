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
