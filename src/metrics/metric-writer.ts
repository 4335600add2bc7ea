/**
 * Writes accepted metric points: logs the request (write-ahead log) and queues its rows in the store under one key
 * naming the logged request, `m\0<lsn>`, answering once the log record is durable. Recovery writes a logged request
 * again under the same key (src/metrics/metric-replay.ts), so the store skips or re-sends it under its batch token.
 */
import { logPlaceAwait, NoopJournal, type Journal } from '../durability/journal.js';
import { AgtError } from '../model/errors.js';
import { ok, retryable, type Outcome } from '../model/outcome.js';
import type { RequestSource } from '../model/sinks.js';
import type { MetricTable } from '../store/metric-rows.js';
import type { MetricSink } from './metric-route.js';
import type { MetricRow } from './types.js';

/** The store's part: queue rows of the metric tables under one key. */
export interface MetricStore {
  hasCapacity(): boolean;
  writeMetrics(rows: readonly { table: MetricTable; row: Record<string, unknown> }[], tag: { key: string; pinLsn: number }): Outcome<void>;
}

/** The write key of a logged metrics request. */
export function metricWriteKey(lsn: number): string {
  return `m\u0000${lsn}`;
}

/** The metrics stage's sink. */
export class MetricWriter implements MetricSink {
  private readonly journal: Journal;

  constructor(private readonly p: { store: MetricStore; journal?: Journal }) {
    this.journal = p.journal ?? new NoopJournal();
  }

  admit(_tenantId: string, _wireBytes: number): Outcome<void> {
    if (!this.p.store.hasCapacity()) return retryable(new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'the storage writer queues are full', { retryInMs: 1000 }), 1000);
    return ok();
  }

  /** Logs the request, queues its rows, and resolves once the log record is durable. */
  accept(rows: MetricRow[], source: RequestSource): Promise<Outcome<void>> {
    if (rows.length === 0) return Promise.resolve(ok());
    // A refusal by the store leaves the request in the log: the client retries, and a replay would write it too; the
    // tables collapse the copies (ReplacingMergeTree on the point's identity).
    return logPlaceAwait(this.journal, { type: 'metrics', ...source }, (lsn) => this.write(lsn, rows));
  }

  /** Queues a logged request's rows under its key (on arrival and on recovery). */
  write(lsn: number, rows: readonly MetricRow[]): Outcome<void> {
    return this.p.store.writeMetrics(rows, { key: metricWriteKey(lsn), pinLsn: lsn });
  }
}
