/**
 * One insert with its retries: the same dedup token on every attempt, backoff between attempts (woken early when
 * ClickHouse is back: resume-gate.ts), at most `maxConcurrent` inserts in flight. The store decides what a failure
 * means for its batch; this only reports how the insert ended.
 */
import { Readable } from 'node:stream';
import { drainStream, type ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../log.js';
import { ResumeGate } from './resume-gate.js';
import { insertStatement } from './row-format.js';
import { backoffMs, errorCode, isRetryable, RETRYABLE_NETWORK_CODES, type RetryOptions } from './retry-policy.js';
import type { StoreMetrics } from './store-metrics.js';
import { BUDGET_FAILURES_BEFORE_LIFT, budgetSettings, MEMORY_LIMIT_EXCEEDED } from './insert-budget.js';

/** How an insert ended: taken, refused for good (a non-retryable error), retries used up, or the store gave up (shutdown). */
export type InsertResult = { status: 'ok' } | { status: 'refused'; err: unknown } | { status: 'gave-up'; err: unknown } | { status: 'abandoned' };


/** Sends batch bodies (row-format.ts: JSONCompactEachRow or JSONEachRow lines) to ClickHouse tables. */
export class BatchInserter {
  /** The last attempt failed retryably and is being retried. */
  failing = false;
  private abandoned = false;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  readonly gate: ResumeGate;

  constructor(
    private readonly p: {
      client: ClickHouseClient;
      database: string;
      retry: RetryOptions;
      /** The write-ahead log holds the data: retryable failures are retried until ClickHouse takes the rows. */
      durable: boolean;
      maxConcurrent: number;
      /** Memory one insert may take in the embedded engine (`max_memory_usage`; insert-budget.ts); 0 or absent = none. */
      insertBudgetBytes?: number;
      /** Waits while the process is at its memory refusal line (insert-hold.ts); absent = never waits. */
      hold?: { waitForRoom(): Promise<number> };
      metrics: StoreMetrics;
      log: Logger;
      gate?: ResumeGate;
      /** Jitter source of the backoff (tests fix it). */
      random?: () => number;
    },
  ) {
    this.gate = p.gate ?? new ResumeGate({ ping: async () => (await p.client.ping()).success });
  }

  /** Stops retrying: waits end, and inserts still failing report `abandoned`. */
  abandon(): void {
    this.abandoned = true;
    this.gate.close();
  }

  /** Inserts `body` into `table` under `token`, retrying retryable failures. */
  async insert(table: string, body: Buffer, token: string): Promise<InsertResult> {
    const { metrics, retry } = this.p;
    const insertBudgetBytes = this.p.insertBudgetBytes ?? 0;
    let budgetFailures = 0;
    for (let attempt = 1; ; attempt++) {
      await this.acquire();
      // Holding the slot while waiting keeps the other tables' inserts waiting too: one insert at a time.
      const heldMs = this.p.hold === undefined ? 0 : await this.p.hold.waitForRoom();
      if (heldMs > 0) {
        metrics.insertsHeld.inc({ table });
        metrics.insertHoldSeconds.inc({ table }, heldMs / 1000);
      }
      const budget = budgetSettings(insertBudgetBytes, budgetFailures);
      if (budgetFailures === BUDGET_FAILURES_BEFORE_LIFT && insertBudgetBytes > 0) this.p.log.warn({ table, token, bytes: body.length, insertBudgetBytes }, `batch refused for the insert memory budget ${BUDGET_FAILURES_BEFORE_LIFT} times: sending it without the budget`);
      const stopTimer = metrics.insertSeconds.startTimer({ table });
      try {
        // exec with a byte stream, not insert(): insert() wants row objects for JSON formats, and
        // serialising rows on the client's path blocks the loop on chDB (REFERENCE.md section 3).
        const res = await this.p.client.exec({
          query: insertStatement(this.p.database, table),
          values: Readable.from([body], { objectMode: false }),
          clickhouse_settings: {
            insert_deduplication_token: token,
            // A misspelt column must fail the insert, never silently default.
            input_format_skip_unknown_fields: 0,
            // A compact row's null in a column that is not Nullable is the column's default, as an omitted key is
            // in JSONEachRow (row-format.ts); the server's default is 1 too, set here so no profile can change it.
            input_format_null_as_default: 1,
            ...budget,
          },
        });
        await drainStream(res.stream);
        stopTimer();
        this.release();
        metrics.insertsOk.inc({ table });
        this.failing = false;
        // ClickHouse takes inserts: other tables' retries need not sit out their backoff.
        this.gate.wake();
        return { status: 'ok' };
      } catch (err) {
        stopTimer();
        this.release();
        if (errorCode(err) === MEMORY_LIMIT_EXCEEDED && budget.max_memory_usage !== undefined) budgetFailures++;
        const retryable = isRetryable(err);
        metrics.insertsFailed.inc({ table, reason: retryable ? 'retryable' : 'fatal' });
        if (!retryable) return { status: 'refused', err };
        // With the log on, a retryable failure (ClickHouse down) never drops: the writer backs off and the log
        // holds the data; receivers refuse only when the log or the queues are full.
        if (!this.p.durable && attempt >= retry.maxAttempts) return { status: 'gave-up', err };
        if (this.abandoned) return { status: 'abandoned' };
        metrics.insertsRetried.inc({ table });
        this.failing = true;
        const delay = backoffMs(attempt, retry.initialMs, retry.maxMs, this.p.random);
        const code = errorCode(err);
        this.p.log.warn({ code, table, token, attempt, delayMs: delay }, 'insert failed; retrying with the same dedup token');
        // Only a failed connection (ECONNREFUSED, ECONNRESET, ...) ends its wait when a ping is answered: a ClickHouse
        // error code means the server answered and refused, and a timeout may be a server too busy to insert yet
        // quick to answer a ping; those keep their backoff (unless another insert goes through).
        await this.gate.wait(delay, code !== undefined && RETRYABLE_NETWORK_CODES.has(code));
        if (this.abandoned) return { status: 'abandoned' };
      }
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < this.p.maxConcurrent) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot to the next waiter, or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.running--;
  }
}
