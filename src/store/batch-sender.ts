/**
 * Sends a store batch (one job: the batch sender): logs it with its dedup token and write keys before the insert,
 * inserts it (retries by error code live in the inserter), confirms it in the log, and isolates the rows ClickHouse
 * refuses so the rows not at fault still go in (batch-isolation.ts).
 */
import { crashPoint } from '../crashpoints.js';
import type { Journal } from '../durability/journal.js';
import { AgtError } from '../model/errors.js';
import type { Logger } from '../log.js';
import type { Outcome } from '../model/outcome.js';
import type { BatchInserter } from './batch-inserter.js';
import { isolateRefusedRows } from './batch-isolation.js';
import { DEAD_LETTER_TABLE } from './dead-letter.js';
import { backoffMs, errorCode, type RetryOptions } from './retry-policy.js';
import type { StoreMetrics } from './store-metrics.js';
import type { Batch } from './table-queue.js';

/** What the durability stage learns after each successful insert. */
export interface BatchWrittenInfo {
  table: string;
  batchId: string;
  rows: number;
}

/** Dependencies of the batch sender. */
export interface BatchSenderParams {
  inserter: BatchInserter;
  journal: Journal;
  retry: RetryOptions;
  metrics: StoreMetrics;
  log: Logger;
  now: () => number;
  /** The batch's writes are settled (written, parked or dropped): the store releases their keys. */
  settle: (keys: readonly string[]) => void;
  onBatchWritten?: ((info: BatchWrittenInfo) => void) | undefined;
}

export class BatchSender {
  constructor(private readonly p: BatchSenderParams) {}

  /** Logs a batch (table, dedup token, write keys) durably before it is inserted; retryable when the log refuses. */
  private async logBatch(table: string, batchId: string, keys: readonly string[]): Promise<Outcome<void>> {
    const logged = this.p.journal.log({ type: 'batch', table, batchId, keys: [...keys] });
    if (logged.status !== 'ok') return logged;
    return logged.value.durable;
  }

  /** The batch is in ClickHouse, or was given up as unwritable (`dropped`). */
  private logWritten(table: string, batchId: string, dropped: boolean): void {
    // Not awaited: if it is lost in a crash, recovery re-sends the batch under the same token and ClickHouse drops it.
    this.p.journal.log({ type: 'written', table, batchId, ...(dropped ? { dropped } : {}) });
  }

  /** Logs the batch (unless it is in the log already), inserts it, and settles it: written, isolated or dropped. */
  async send(batch: Batch): Promise<void> {
    const { table } = batch;
    if (!batch.logged) {
      // The batch must be in the log before ClickHouse can have it, or a crash after the insert would rebuild
      // its writes into other batches with other tokens and count them twice.
      for (let attempt = 1; ; attempt++) {
        const logged = await this.logBatch(table, batch.id, batch.keys);
        if (logged.status === 'ok') break;
        const delay = backoffMs(attempt, this.p.retry.initialMs, this.p.retry.maxMs);
        this.p.log.warn({ err: logged.error, table, delayMs: delay }, 'could not log a batch before its insert; retrying');
        await this.p.inserter.gate.wait(delay, false);
      }
      batch.logged = true;
    }
    const r = await this.p.inserter.insert(table, batch.body, batch.id);
    if (r.status === 'ok') {
      crashPoint('store-inserted');
      return this.written(batch, batch.rows);
    }
    if (r.status === 'abandoned') return;
    if (r.status === 'refused') return this.isolate(batch, r.err);
    this.p.metrics.rowsDropped.inc({ table }, batch.rows);
    this.logWritten(table, batch.id, true);
    this.p.settle(batch.keys);
    this.p.log.error(
      { err: new AgtError('AGT_ERR_STORE', `insert into ${table} failed: ${(r.err as Error).message}`, { cause: r.err }), code: errorCode(r.err), table, batchId: batch.id, rows: batch.rows },
      'insert failed; batch dropped',
    );
  }

  /** The batch is settled in ClickHouse: confirmed in the log, its writes released, the hook told. */
  private written(batch: Batch, rows: number, dropped = false): void {
    this.p.metrics.rowsWritten.inc({ table: batch.table }, rows);
    this.logWritten(batch.table, batch.id, dropped);
    this.p.settle(batch.keys);
    try {
      this.p.onBatchWritten?.({ table: batch.table, batchId: batch.id, rows });
    } catch (hookErr) {
      this.p.log.error({ err: hookErr, table: batch.table }, 'onBatchWritten hook threw');
    }
  }

  /** A non-retryable refusal: the rows not at fault are inserted, the refused ones parked (batch-isolation.ts). */
  private async isolate(batch: Batch, err: unknown): Promise<void> {
    const { table } = batch;
    this.p.metrics.batchesIsolated.inc({ table });
    const r = await isolateRefusedRows({ table, batchId: batch.id, body: batch.body, err, insert: (t, body, token) => this.p.inserter.insert(t, body, token), nowMs: this.p.now() });
    if (r.abandoned) return; // shutdown: the log re-sends the batch, and its parts dedup
    for (const p of r.parked) this.p.metrics.rowsParked.inc({ table, code: errorCode(p.err) ?? '' });
    if (r.droppedRows > 0) this.p.metrics.rowsDropped.inc({ table }, r.droppedRows);
    this.p.log.error(
      { code: errorCode(err), table, batchId: batch.id, rows: batch.rows, inserted: r.insertedRows, parked: r.parked.length, dropped: r.droppedRows, deadLetterErr: r.deadLetterError ?? undefined },
      `insert into ${table} refused (${(err as Error).message.slice(0, 200)}); refused rows parked in ${DEAD_LETTER_TABLE}, the rest inserted`,
    );
    this.written(batch, r.insertedRows, r.droppedRows > 0);
  }
}
