/** A SessionStore in front of the real one that offers each accepted session write's decision for publishing. */
import type { EvalResult } from '../model/span.js';
import type { Outcome } from '../model/outcome.js';
import type { Decision } from '../model/decision.js';
import type { SessionWrite } from '../model/session.js';
import type { SessionStore } from '../model/session-store.js';

/** Passes everything to `inner`; a write the store took has its decision offered to `offer` (kept ones get published). */
export class SharingStore implements SessionStore {
  constructor(
    private readonly inner: SessionStore,
    private readonly offer: (tenantId: string, sessionId: string, decision: Decision) => void,
  ) {}

  write(w: SessionWrite): Outcome<void> {
    const out = this.inner.write(w);
    if (out.status === 'ok' && w.part === undefined) this.offer(w.summary.tenantId, w.summary.sessionId, w.decision);
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
