/** Prometheus metrics of the storage writer, created on the registry passed in. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The store's metrics (labels: `table`). */
export class StoreMetrics {
  readonly queueBytes: Gauge<'table'>;
  readonly queueRows: Gauge<'table'>;
  readonly insertsOk: Counter<'table'>;
  readonly insertsFailed: Counter<'table' | 'reason'>;
  readonly insertsRetried: Counter<'table'>;
  readonly insertSeconds: Histogram<'table'>;
  readonly rowsWritten: Counter<'table'>;
  readonly rowsDropped: Counter<'table'>;
  readonly refused: Counter<'kind'>;
  readonly spilledBatches: Counter<'table'>;
  readonly spilledBytes: Gauge;
  readonly rowsParked: Counter<'table' | 'code'>;
  readonly batchesIsolated: Counter<'table'>;
  readonly insertsHeld: Counter<'table'>;
  readonly insertHoldSeconds: Counter<'table'>;

  /** `collect` runs at scrape time to set the queue gauges (not on every write: it is on the ingest path). */
  constructor(registry: Registry, collect?: () => void) {
    const registers = [registry];
    const onScrape = collect === undefined ? {} : { collect };
    this.spilledBatches = new Counter({ name: 'agenttail_store_spilled_batches_total', help: 'Row chunks parked on disk while an insert was stuck (log on)', labelNames: ['table'], registers });
    this.spilledBytes = new Gauge({ name: 'agenttail_store_spilled_bytes', help: 'Bytes of rows parked on disk, waiting for ClickHouse', registers, ...onScrape });
    this.queueBytes = new Gauge({
      name: 'agenttail_store_queue_bytes',
      help: 'Bytes queued or in flight per table',
      labelNames: ['table'],
      registers,
      ...onScrape,
    });
    this.queueRows = new Gauge({ name: 'agenttail_store_queue_rows', help: 'Rows queued or in flight per table', labelNames: ['table'], registers, ...onScrape });
    this.insertsOk = new Counter({ name: 'agenttail_store_inserts_ok_total', help: 'Batches inserted', labelNames: ['table'], registers });
    this.insertsFailed = new Counter({
      name: 'agenttail_store_inserts_failed_total',
      help: 'Insert attempts that failed (reason: retryable | fatal)',
      labelNames: ['table', 'reason'],
      registers,
    });
    this.insertsHeld = new Counter({ name: 'agenttail_store_inserts_held_total', help: 'Inserts that waited because RSS was at the memory refusal line (embedded store)', labelNames: ['table'], registers });
    this.insertHoldSeconds = new Counter({ name: 'agenttail_store_insert_hold_seconds_total', help: 'Seconds inserts waited for RSS to fall under the memory refusal line', labelNames: ['table'], registers });
    this.insertsRetried = new Counter({ name: 'agenttail_store_inserts_retried_total', help: 'Insert retries (same dedup token)', labelNames: ['table'], registers });
    this.insertSeconds = new Histogram({
      name: 'agenttail_store_insert_duration_seconds',
      help: 'Duration of one insert attempt',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rowsWritten = new Counter({ name: 'agenttail_store_rows_written_total', help: 'Rows written per table', labelNames: ['table'], registers });
    this.rowsDropped = new Counter({
      name: 'agenttail_store_rows_dropped_total',
      help: 'Rows given up on (retries exhausted with the log off, or dead letters that could not be written)',
      labelNames: ['table'],
      registers,
    });
    this.rowsParked = new Counter({
      name: 'agenttail_store_rows_parked_total',
      help: 'Rows ClickHouse refused (non-retryable), parked in dead_letter while the rest of their batch was inserted',
      labelNames: ['table', 'code'],
      registers,
    });
    this.batchesIsolated = new Counter({ name: 'agenttail_store_batches_isolated_total', help: 'Refused batches split to isolate the refused rows', labelNames: ['table'], registers });
    this.refused = new Counter({
      name: 'agenttail_store_writes_refused_total',
      help: 'write()/writeEvals() calls refused with AGT_ERR_WRITER_BACKPRESSURE',
      labelNames: ['kind'],
      registers,
    });
  }
}
