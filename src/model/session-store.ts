/** What the session buffer writes to: the store, through one small interface (src/store/clickhouse-store.ts implements it). */
import type { EvalResult } from './span.js';
import type { Outcome } from './outcome.js';
import type { SessionWrite } from './session.js';

export interface SessionStore {
  /** Queue one session write (SessionWrite from src/model/session.ts); retryable when the writer queue is full. */
  write(w: SessionWrite): Outcome<void>;
  /** Queue eval results (every eval, whatever the decision); `tag` names the write for the log. */
  writeEvals(tenantId: string, evals: EvalResult[], tag?: { key: string; pinLsn: number }): Outcome<void>;
  /** False when the queues are too full to take more (used for admission). */
  hasCapacity(): boolean;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}
