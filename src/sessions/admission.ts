/**
 * Admission: whether the buffer takes more. Refused retryably while shutting down, when the bytes would pass the hard
 * limit (open sessions plus writes held for retry), or when the store's writer queues are full. Every refusal counted.
 */
import type { SessionsConfig } from '../config/sessions.js';
import { AgtError } from '../model/errors.js';
import { ok, retryable, type Outcome } from '../model/outcome.js';
import type { SessionStore } from '../model/session-store.js';
import type { SessionMetrics } from './metrics.js';

export interface AdmissionParams {
  config: SessionsConfig;
  store: SessionStore;
  metrics: SessionMetrics;
  /** Bytes the buffer holds now (open sessions plus held writes). */
  heldBytes: () => number;
}

/** The buffer's room and refusals. */
export class Admission {
  private draining = false;

  constructor(private readonly p: AdmissionParams) {}

  /** From now on everything is refused (shutdown). */
  drain(): void {
    this.draining = true;
  }

  /** Retryable when `bytes` more would pass the hard limit or the store is full. */
  room(tenantId: string, bytes: number): Outcome<void> {
    if (this.draining) return this.shuttingDown();
    const max = this.p.config.maxBufferBytes;
    const used = this.p.heldBytes();
    if (used + bytes > max) {
      const msg = `session buffer full: ${used} of ${max} bytes used, request needs ${bytes} (tenant ${tenantId})`;
      return this.refuse('buffer_full', new AgtError('AGT_ERR_BUFFER_FULL', msg, { retryInMs: this.p.config.retryAfterMs }));
    }
    if (!this.p.store.hasCapacity()) return this.refuse('writer', new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'the storage writer queues are full', { retryInMs: this.p.config.retryAfterMs }));
    return ok();
  }

  /** Room for posted evals: they hold no buffer bytes, but need the store (and no shutdown). */
  roomForEvals(): Outcome<void> {
    if (this.draining) return this.shuttingDown();
    if (!this.p.store.hasCapacity()) return this.refuse('writer', new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'the storage writer queues are full'));
    return ok();
  }

  /** Counts a refusal by the log (disk cap or closed). */
  refusedByLog(): void {
    this.p.metrics.refusals.inc({ reason: 'wal' });
  }

  private shuttingDown(): Outcome<void> {
    return this.refuse('shutdown', new AgtError('AGT_ERR_SHUTTING_DOWN', 'the collector is shutting down'));
  }

  private refuse(reason: string, error: AgtError): Outcome<void> {
    this.p.metrics.refusals.inc({ reason });
    return retryable(error, error.retryInMs ?? this.p.config.retryAfterMs);
  }
}
