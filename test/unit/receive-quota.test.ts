import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/model/outcome.js';
import { QuotaManager } from '../../src/receive/quota.js';

type Quota = { spansPerSecond: number; bytesPerSecond: number };

function clockedQuotas(quota: Quota, tenantQuotas: Record<string, Quota> = {}): { q: QuotaManager; advance(ms: number): void; set(ms: number): void } {
  let now = 1_000_000;
  return {
    q: new QuotaManager({ quota, tenantQuotas, now: () => now }),
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

/** The retry delay of a refusal, checking the outcome and the error agree. */
function waitOf(r: Outcome<void>): number {
  expect(r.status).toBe('retryable');
  if (r.status !== 'retryable') return -1;
  expect(r.error.code).toBe('AGT_ERR_QUOTA_EXCEEDED');
  expect(r.error.retryInMs).toBe(r.retryInMs);
  return r.retryInMs;
}

describe('QuotaManager', () => {
  describe('takeSpans', () => {
    it('lets a burst of two seconds of rate pass from a fresh bucket', () => {
      const { q } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 6).status).toBe('ok');
      expect(q.takeSpans('t1', 4).status).toBe('ok');
      expect(q.takeSpans('t1', 1).status).toBe('retryable');
    });

    it('answers the exact time until enough tokens have refilled', () => {
      const { q, advance } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 10).status).toBe('ok');
      // 0 tokens, 5/s: 1 span needs 200 ms, 3 spans need 600 ms.
      expect(waitOf(q.takeSpans('t1', 1))).toBe(200);
      expect(waitOf(q.takeSpans('t1', 3))).toBe(600);
      advance(599);
      expect(waitOf(q.takeSpans('t1', 3))).toBe(1); // 2.995 tokens: rounds up, never down
      advance(1);
      expect(q.takeSpans('t1', 3).status).toBe('ok');
    });

    it('does not take tokens for a refused request', () => {
      const { q, advance } = clockedQuotas({ spansPerSecond: 10, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 20).status).toBe('ok');
      advance(500); // 5 tokens
      expect(waitOf(q.takeSpans('t1', 8))).toBe(300);
      expect(q.takeSpans('t1', 5).status).toBe('ok');
    });

    it('refills only up to two seconds of rate however long the tenant was idle', () => {
      const { q, advance } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 10).status).toBe('ok');
      advance(3_600_000);
      expect(q.takeSpans('t1', 10).status).toBe('ok');
      expect(waitOf(q.takeSpans('t1', 1))).toBe(200);
    });

    it('lets a request larger than the whole bucket pass once the bucket is full', () => {
      const { q, advance } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 25).status).toBe('ok'); // full bucket: passes, leaves a debt of 15
      expect(waitOf(q.takeSpans('t1', 1))).toBe(3_200);
      advance(3_200);
      expect(q.takeSpans('t1', 1).status).toBe('ok');
    });

    it('tells an oversize request to wait only until the bucket is full, when it will pass', () => {
      const { q, advance } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 10).status).toBe('ok');
      const wait = waitOf(q.takeSpans('t1', 25));
      expect(wait).toBe(2_000);
      advance(wait);
      expect(q.takeSpans('t1', 25).status).toBe('ok');
    });

    it('keeps a separate bucket per tenant', () => {
      const { q } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 10).status).toBe('ok');
      expect(q.takeSpans('t1', 1).status).toBe('retryable');
      expect(q.takeSpans('t2', 10).status).toBe('ok');
    });

    it('names the tenant and its rate in the error', () => {
      const { q } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('acme', 10).status).toBe('ok');
      const r = q.takeSpans('acme', 1);
      expect(r.status === 'retryable' && r.error.message).toBe('tenant "acme" is over its quota of 5 spans/s');
    });

    it('does not punish a tenant when the wall clock steps backwards', () => {
      const { q, set } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 });
      expect(q.takeSpans('t1', 1).status).toBe('ok');
      set(1_000_000 - 3_600_000); // NTP step back by an hour
      expect(q.takeSpans('t1', 9).status).toBe('ok');
    });
  });

  describe('takeBytes', () => {
    it('limits bytes independently of spans', () => {
      const { q, advance } = clockedQuotas({ spansPerSecond: 0, bytesPerSecond: 1_000 });
      expect(q.takeBytes('t1', 2_000).status).toBe('ok');
      const r = q.takeBytes('t1', 500);
      expect(waitOf(r)).toBe(500);
      expect(r.status === 'retryable' && r.error.message).toContain('1000 bytes/s');
      expect(q.takeSpans('t1', 1_000_000).status).toBe('ok'); // spans unlimited
      advance(500);
      expect(q.takeBytes('t1', 500).status).toBe('ok');
    });
  });

  describe('quotas', () => {
    it('treats 0 as unlimited', () => {
      const { q } = clockedQuotas({ spansPerSecond: 0, bytesPerSecond: 0 });
      for (let i = 0; i < 5; i++) {
        expect(q.takeSpans('t1', 10 ** 9).status).toBe('ok');
        expect(q.takeBytes('t1', 10 ** 12).status).toBe('ok');
      }
    });

    it('applies a per-tenant override instead of the default', () => {
      const { q } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 0 }, { big: { spansPerSecond: 100, bytesPerSecond: 0 }, free: { spansPerSecond: 0, bytesPerSecond: 0 } });
      expect(q.takeSpans('big', 200).status).toBe('ok');
      expect(waitOf(q.takeSpans('big', 1))).toBe(10);
      expect(q.takeSpans('free', 10 ** 9).status).toBe('ok'); // override of 0 = unlimited, even with a default
      expect(q.takeSpans('other', 10).status).toBe('ok');
      expect(waitOf(q.takeSpans('other', 1))).toBe(200); // the default applies to tenants without an override
    });

    it('applies an override to bytes without inheriting the default for the other dimension', () => {
      const { q } = clockedQuotas({ spansPerSecond: 5, bytesPerSecond: 100 }, { t1: { spansPerSecond: 0, bytesPerSecond: 10 } });
      expect(q.takeSpans('t1', 1_000).status).toBe('ok');
      expect(q.takeBytes('t1', 20).status).toBe('ok');
      expect(waitOf(q.takeBytes('t1', 1))).toBe(100);
    });
  });
});
