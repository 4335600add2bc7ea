/** A SessionStore in front of the real one that offers each accepted session write's decision for publishing. */
import type { EvalResult } from '../conventions/types.js';
import type { Outcome } from '../outcome.js';
import type { Decision } from '../sampling/types.js';
import type { SessionWrite } from '../sessions/types.js';
import type { SessionStore } from '../store/types.js';

/** Passes everything to `inner`; a write the store took has its decision offered to `offer` (kept ones get published). */
export class SharingStore implements SessionStore {
  constructor(
    private readonly inner: SessionStore,
    private readonly offer: (tenantId: string, sessionId: string, decision: Decision) => void,
  ) {}

  write(w: SessionWrite): Outcome<void> {
    const out = this.inner.write(w);
    if (out.status === 'ok' && w.part !== 'backfill') this.offer(w.summary.tenantId, w.summary.sessionId, w.decision);
    return out;
  }

  writeEvals(tenantId: string, evals: EvalResult[], tag?: { key: string; pinLsn: number }): Outcome<void> {
    return this.inner.writeEvals(tenantId, evals, tag);
  }

  hasCapacity(): boolean {
    return this.inner.hasCapacity();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
