/** Per-tenant token buckets on spans/s and bytes/s; over quota → retryable AGT_ERR_QUOTA_EXCEEDED with a delay. */
import type { ReceiveConfig } from '../config/receive.js';
import { AgtError } from '../model/errors.js';
import { ok, retryable, type Outcome } from '../model/outcome.js';

type Quota = ReceiveConfig['quota'];

/** A bucket holding up to 2 s of rate; refills continuously. */
class Bucket {
  private tokens: number;
  private last: number;
  constructor(private readonly ratePerSec: number, nowMs: number) {
    this.tokens = ratePerSec * 2;
    this.last = nowMs;
  }
  take(n: number, nowMs: number): number {
    const cap = this.ratePerSec * 2;
    // A wall clock stepping back (NTP) must not drain the bucket: count no elapsed time instead.
    this.tokens = Math.min(cap, this.tokens + (Math.max(0, nowMs - this.last) / 1000) * this.ratePerSec);
    this.last = nowMs;
    // A request larger than the whole bucket may still pass once the bucket is full, or it could never pass.
    if (this.tokens >= n || (this.tokens >= cap && n > cap)) {
      this.tokens -= n;
      return 0;
    }
    // An oversize request passes as soon as the bucket is full, so that is all it has to wait for.
    return Math.ceil(((Math.min(n, cap) - this.tokens) / this.ratePerSec) * 1000);
  }
}

export class QuotaManager {
  private readonly spans = new Map<string, Bucket>();
  private readonly bytes = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly params: { quota: Quota; tenantQuotas: Record<string, Quota>; now?: () => number }) {
    this.now = params.now ?? Date.now;
  }

  takeBytes(tenantId: string, n: number): Outcome<void> {
    return this.take(this.bytes, tenantId, n, this.quotaOf(tenantId).bytesPerSecond, 'bytes');
  }

  takeSpans(tenantId: string, n: number): Outcome<void> {
    return this.take(this.spans, tenantId, n, this.quotaOf(tenantId).spansPerSecond, 'spans');
  }

  private quotaOf(tenantId: string): Quota {
    return this.params.tenantQuotas[tenantId] ?? this.params.quota;
  }

  private take(buckets: Map<string, Bucket>, tenantId: string, n: number, rate: number, what: string): Outcome<void> {
    if (rate <= 0) return ok();
    const now = this.now();
    let b = buckets.get(tenantId);
    if (!b) buckets.set(tenantId, (b = new Bucket(rate, now)));
    const waitMs = b.take(n, now);
    if (waitMs === 0) return ok();
    return retryable(new AgtError('AGT_ERR_QUOTA_EXCEEDED', `tenant "${tenantId}" is over its quota of ${rate} ${what}/s`, { retryInMs: waitMs }), waitMs);
  }
}
