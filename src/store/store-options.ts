/** What the store is built from: its constructor's parameters, and what `ClickHouseStore.open` takes. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Registry } from 'prom-client';
import type { StoreConfig } from '../config/store.js';
import type { Journal } from '../durability/journal.js';
import type { SpillBudget } from '../durability/spill-budget.js';
import type { Logger } from '../log.js';
import type { BatchWrittenInfo } from './batch-sender.js';
import type { InsertHold } from './insert-hold.js';
import type { RetryOptions } from './retry-policy.js';

/** Constructor parameters of ClickHouseStore. */
export interface ClickHouseStoreOptions {
  client: ClickHouseClient;
  database: string;
  /** Rows per table that trigger an insert (default 10 000). */
  batchRows?: number;
  /** JSON bytes per table that trigger an insert (default 8 MiB). */
  batchBytes?: number;
  /** Longest a row waits before its table is flushed (default 1000 ms). */
  flushIntervalMs?: number;
  /** Bytes queued or in flight over all tables above which writes are refused (default 256 MiB). */
  maxQueueBytes?: number;
  retry: RetryOptions;
  /**
   * Inserts in flight at once over all tables (default 1). Keep 1 on the embedded engine: chDB
   * serialises statements on a session, and a statement waiting for the session lock blocks the
   * event loop (bench/store.ts: 6 parallel inserts gave 219 ms loop stalls).
   */
  maxConcurrentInserts?: number;
  registry?: Registry;
  log: Logger;
  now?: () => number;
  onBatchWritten?: (info: BatchWrittenInfo) => void;
  /**
   * The write-ahead log. With one, every batch is logged (token + write keys) before its insert, retryable
   * failures are retried until ClickHouse takes the batch (the data is safe in the log meanwhile), and
   * `oldestPin()` tells the log what it must keep.
   */
  journal?: Journal;
  /**
   * With the log: where a table's pending rows go while an insert is stuck (ClickHouse down), and the disk they may
   * take. Receivers then refuse only when this or the log is full, not when memory is.
   */
  spill?: { dir: string; budget: SpillBudget };
  /** Memory one insert may take in the engine (`max_memory_usage`; src/store/insert-budget.ts); 0 or absent = none. */
  insertBudgetBytes?: number;
  /** Holds inserts while RSS is at the memory refusal line (src/store/insert-hold.ts); absent = never. */
  insertHold?: InsertHold;
}

/** What the process wires into the store besides its config: metrics, hooks, and the log with its spill. */
export type StoreWiring = Pick<ClickHouseStoreOptions, 'registry' | 'onBatchWritten' | 'journal' | 'spill' | 'insertBudgetBytes' | 'insertHold'>;

/** Parameters of ClickHouseStore.open: the store's config, its logger, what the process wires in; `migrate` false skips migrations. */
export interface StoreOpenParams extends StoreWiring {
  config: StoreConfig;
  log: Logger;
  migrate?: boolean;
}
