import { describe, expect, it } from 'vitest';
import { LatencyPolicy, sessionDurationMs } from '../../src/sampling/policies/latency.js';
import { samplingConfig, summary, view } from './sampling-fixtures.js';

const T0 = 1_700_000_000_000_000_000n;
const lasting = (ms: number) => ({ startTimeUnixNano: T0, endTimeUnixNano: T0 + BigInt(ms) * 1_000_000n });

function policy(over: Record<string, unknown> = {}) {
  return new LatencyPolicy({ config: samplingConfig({ policies: { latency: { quantile: 0.95, warmupCount: 50, maxDurationMs: 60_000, ...over } } }).policies.latency });
}

/** Votes, then learns, as the engine does for each decided session. */
function decide(p: LatencyPolicy, v: ReturnType<typeof view>): void {
  p.vote(v);
  p.learn(v);
}

describe('LatencyPolicy', () => {
  describe('vote()', () => {
    it('keeps a session over the ceiling', () => {
      expect(policy().vote(view(lasting(61_000)))).toEqual({ reason: 'latency', policyClass: 'latency', probability: 1 });
    });

    it('keeps a session over the learned quantile after warm-up only', () => {
      const p = policy({ maxDurationMs: null });
      for (let i = 0; i < 10; i++) decide(p, view({ sessionId: `s${i}`, ...lasting(2000 + i * 10) }));
      expect(p.vote(view(lasting(20_000)))).toBeNull();
      p.learn(view(lasting(20_000)));
      for (let i = 0; i < 100; i++) decide(p, view({ sessionId: `t${i}`, ...lasting(2000 + (i % 10) * 100) }));
      expect(p.vote(view(lasting(2100)))).toBeNull();
      p.learn(view(lasting(2100)));
      expect(p.vote(view(lasting(20_000)))?.reason).toBe('latency');
    });
  });

  describe('sessionDurationMs()', () => {
    it('is end minus start in ms, and 0 for inverted times', () => {
      expect(sessionDurationMs(summary(lasting(1234)))).toBe(1234);
      expect(sessionDurationMs(summary({ startTimeUnixNano: T0, endTimeUnixNano: T0 - 5n }))).toBe(0);
    });
  });
});
