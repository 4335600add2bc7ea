/** The ClickHouse session store: queues rows per table, inserts them in batches with dedup tokens. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { drainStream, type ClickHouseClient } from '@clickhouse/client';
import type { StoreConfig } from '../config/store.js';
import { Registry } from 'prom-client';
import type { EvalResult } from '../conventions/types.js';
import { AgtError } from '../errors.js';
import type { Logger } from '../log.js';
import { failed, ok, retryable, type Outcome } from '../outcome.js';
import type { SessionWrite } from '../sessions/types.js';
import { buildEvalRow } from './eval-row.js';
import { runMigrations } from './migrations.js';
import { createStoreClient } from './store-client.js';
import { buildSessionTsRow, buildTraceTsRows } from './lookup-rows.js';
import { backoffMs, errorCode, isRetryable } from './retry-policy.js';
import { buildSessionRow } from './session-row.js';
import { buildSpanRow } from './span-row.js';
import { StoreMetrics } from './store-metrics.js';
import type { SessionStore } from './types.js';
import { UsageRollup } from './usage-rollup.js';

/** The tables the store writes. */
export const STORE_TABLES = ['spans', 'sessions', 'usage_hourly', 'evals', 'session_ts', 'trace_ts'] as const;
/** One of the tables the store writes. */
export type StoreTable = (typeof STORE_TABLES)[number];

/** What the durability stage learns after each successful insert. */
export interface BatchWrittenInfo {
  table: string;
  batchId: string;
  rows: number;
}

/** Retry policy of inserts (exponential backoff on retryable errors only). */
export interface StoreRetryOptions {
  initialMs: number;
  maxMs: number;
  /** Attempts per batch, first included; then the batch is dropped and counted. */
  maxAttempts: number;
}

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
  retry: StoreRetryOptions;
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
}

interface Batch {
  table: StoreTable;
  body: Buffer;
  rows: number;
  bytes: number;
  id: string;
}

interface TableState {
  lines: string[];
  bytes: number;
  rollup: UsageRollup | null;
  sourceKeys: string[];
  inflight: Promise<void> | null;
  inflightBytes: number;
  inflightRows: number;
}

/** Rough JSON size of one usage_hourly row, for queue accounting. */
const ROLLUP_ROW_BYTES = 320;

/** ClickHouse-backed SessionStore (embedded chDB or a server, whichever client is passed in). */
export class ClickHouseStore implements SessionStore {
  /** The client, for read-only queries of the API. */
  readonly client: ClickHouseClient;
  readonly database: string;
  private readonly batchRows: number;
  private readonly batchBytes: number;
  private readonly maxQueueBytes: number;
  private readonly retryOpts: StoreRetryOptions;
  private readonly log: Logger;
  private readonly metrics: StoreMetrics;
  private readonly onBatchWritten: ((info: BatchWrittenInfo) => void) | undefined;
  private readonly tables = new Map<StoreTable, TableState>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(opts: ClickHouseStoreOptions) {
    this.client = opts.client;
    this.database = opts.database;
    this.batchRows = opts.batchRows ?? 10_000;
    this.batchBytes = opts.batchBytes ?? 8 * 1024 * 1024;
    this.maxQueueBytes = opts.maxQueueBytes ?? 256 * 1024 * 1024;
    this.retryOpts = opts.retry;
    this.maxConcurrent = opts.maxConcurrentInserts ?? 1;
    this.log = opts.log;
    this.metrics = new StoreMetrics(opts.registry ?? new Registry());
    this.onBatchWritten = opts.onBatchWritten;
    for (const t of STORE_TABLES) {
      this.tables.set(t, {
        lines: [],
        bytes: 0,
        rollup: t === 'usage_hourly' ? new UsageRollup() : null,
        sourceKeys: [],
        inflight: null,
        inflightBytes: 0,
        inflightRows: 0,
      });
    }
    this.timer = setInterval(() => this.kickAll(), opts.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Opens the configured back end (embedded chDB or a server), applies migrations, returns the store. */
  static async open(
    config: StoreConfig,
    log: Logger,
    extra: { registry?: Registry; onBatchWritten?: (info: BatchWrittenInfo) => void; migrate?: boolean } = {},
  ): Promise<ClickHouseStore> {
    if (extra.migrate !== false) {
      const bootstrap = config.kind === 'server' ? await createStoreClient(config, 'default') : null;
      const client = bootstrap ?? (await createStoreClient(config));
      try {
        await runMigrations({ client, database: config.database, log });
      } catch (err) {
        await client.close();
        throw err;
      }
      if (bootstrap === null) return ClickHouseStore.fromConfig(client, config, log, extra);
      await bootstrap.close();
    }
    return ClickHouseStore.fromConfig(await createStoreClient(config), config, log, extra);
  }

  private static fromConfig(
    client: ClickHouseClient,
    config: StoreConfig,
    log: Logger,
    extra: { registry?: Registry; onBatchWritten?: (info: BatchWrittenInfo) => void },
  ): ClickHouseStore {
    return new ClickHouseStore({
      client,
      database: config.database,
      batchRows: config.batchRows,
      batchBytes: config.batchBytes,
      flushIntervalMs: config.flushIntervalMs,
      maxQueueBytes: config.maxQueueBytes,
      retry: config.retry,
      maxConcurrentInserts: config.kind === 'embedded' ? 1 : config.maxConcurrentInserts,
      log,
      ...(extra.registry === undefined ? {} : { registry: extra.registry }),
      ...(extra.onBatchWritten === undefined ? {} : { onBatchWritten: extra.onBatchWritten }),
    });
  }

  /** Bytes queued or in flight over all tables. */
  queuedBytes(): number {
    let total = 0;
    for (const s of this.tables.values()) total += this.pendingBytes(s) + s.inflightBytes;
    return total;
  }

  /** False when the queues are too full to take more (used for admission). */
  hasCapacity(): boolean {
    return !this.closed && this.queuedBytes() < this.maxQueueBytes;
  }

  /** Queue one session write: the session row, and spans/lookups/rollups as the write asks. */
  write(w: SessionWrite): Outcome<void> {
    const refused = this.refusal('session');
    if (refused !== null) return refused;
    const { tenantId, sessionId } = w.summary;
    this.push('sessions', buildSessionRow(w));
    if (w.storeSpans && w.spans.length > 0) {
      for (const span of w.spans) this.push('spans', buildSpanRow(span, sessionId, w.decision));
      const sessionTs = buildSessionTsRow(tenantId, sessionId, w.spans);
      if (sessionTs !== null) this.push('session_ts', sessionTs);
      for (const row of buildTraceTsRows(tenantId, w.spans)) this.push('trace_ts', row);
    }
    if (w.countUsage) {
      const usage = this.state('usage_hourly');
      if (usage.rollup!.add(w) > 0 || w.version <= 1) {
        usage.sourceKeys.push(`${tenantId}\u0000${sessionId}\u0000${w.version}`);
      }
      this.maybeKick('usage_hourly', usage);
    }
    this.updateGauges();
    return ok();
  }

  /** Queue eval results (every eval, whatever the decision). */
  writeEvals(tenantId: string, evals: EvalResult[]): Outcome<void> {
    const refused = this.refusal('evals');
    if (refused !== null) return refused;
    for (const e of evals) this.push('evals', buildEvalRow(tenantId, e));
    this.updateGauges();
    return ok();
  }

  /** Inserts everything queued and waits for it (including retries). */
  async flush(): Promise<void> {
    for (;;) {
      const waits: Promise<void>[] = [];
      for (const [table, s] of this.tables) {
        if (s.inflight === null && this.pendingRows(s) > 0) this.kick(table, s);
        if (s.inflight !== null) waits.push(s.inflight);
      }
      if (waits.length === 0) return;
      await Promise.all(waits);
    }
  }

  /** Refuses new writes, flushes what is queued and closes the client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.client.close();
  }

  private refusal(kind: string): Outcome<void> | null {
    if (this.closed) {
      this.metrics.refused.inc({ kind });
      return failed(new AgtError('AGT_ERR_SHUTTING_DOWN', 'the store is closed'));
    }
    if (this.queuedBytes() >= this.maxQueueBytes) {
      this.metrics.refused.inc({ kind });
      const retryInMs = Math.max(this.retryOpts.initialMs, 1000);
      return retryable(
        new AgtError('AGT_ERR_WRITER_BACKPRESSURE', `storage writer queues hold ${this.queuedBytes()} bytes (limit ${this.maxQueueBytes})`, { retryInMs }),
        retryInMs,
      );
    }
    return null;
  }

  private state(table: StoreTable): TableState {
    return this.tables.get(table)!;
  }

  private pendingRows(s: TableState): number {
    return s.rollup !== null ? s.rollup.size : s.lines.length;
  }

  private pendingBytes(s: TableState): number {
    return s.rollup !== null ? s.rollup.size * ROLLUP_ROW_BYTES : s.bytes;
  }

  private push(table: StoreTable, row: Record<string, unknown>): void {
    const s = this.state(table);
    const line = JSON.stringify(row) + '\n';
    s.lines.push(line);
    s.bytes += line.length;
    this.maybeKick(table, s);
  }

  private maybeKick(table: StoreTable, s: TableState): void {
    if (s.inflight !== null) return;
    if (this.pendingRows(s) >= this.batchRows || this.pendingBytes(s) >= this.batchBytes) this.kick(table, s);
  }

  private kickAll(): void {
    for (const [table, s] of this.tables) if (s.inflight === null && this.pendingRows(s) > 0) this.kick(table, s);
  }

  /** Takes the table's pending rows as one batch and starts sending it. */
  private kick(table: StoreTable, s: TableState): void {
    const batch = this.takeBatch(table, s);
    if (batch === null) return;
    s.inflightBytes = batch.bytes;
    s.inflightRows = batch.rows;
    s.inflight = this.send(batch).finally(() => {
      s.inflight = null;
      s.inflightBytes = 0;
      s.inflightRows = 0;
      this.updateGauges();
      this.maybeKick(table, s);
    });
  }

  private takeBatch(table: StoreTable, s: TableState): Batch | null {
    let text: string;
    let rows: number;
    let bytes: number;
    const hash = createHash('sha256').update(table).update('\n');
    if (s.rollup !== null) {
      const rollupRows = s.rollup.rows();
      rows = rollupRows.length;
      bytes = this.pendingBytes(s);
      text = rollupRows.map((r) => JSON.stringify(r) + '\n').join('');
      // The rollup rows carry no session ids: two different batches can sum to identical rows, so
      // the token also covers which session writes were summed (a true replay has the same ones).
      for (const k of s.sourceKeys) hash.update(k).update('\n');
      s.rollup = new UsageRollup();
      s.sourceKeys = [];
    } else {
      rows = s.lines.length;
      bytes = s.bytes;
      text = s.lines.join('');
      s.lines = [];
      s.bytes = 0;
    }
    if (rows === 0) return null;
    const body = Buffer.from(text, 'utf8');
    // Content hash, not a sequence: a retry reuses it, and a replay of the same writes after a
    // restart (same rows in the same batch) yields the same token, so ClickHouse drops the copy.
    const id = hash.update(body).digest('hex').slice(0, 32);
    return { table, body, rows, bytes, id };
  }

  private async send(batch: Batch): Promise<void> {
    const { table } = batch;
    for (let attempt = 1; ; attempt++) {
      await this.acquire();
      const stopTimer = this.metrics.insertSeconds.startTimer({ table });
      try {
        // exec with a byte stream, not insert(): insert() wants row objects for JSON formats, and
        // serialising rows on the client's path blocks the loop on chDB (REFERENCE.md section 3).
        const res = await this.client.exec({
          query: `INSERT INTO ${this.database}.${table} FORMAT JSONEachRow`,
          values: Readable.from([batch.body], { objectMode: false }),
          clickhouse_settings: {
            insert_deduplication_token: batch.id,
            // A misspelt column must fail the insert, never silently default.
            input_format_skip_unknown_fields: 0,
          },
        });
        await drainStream(res.stream);
        stopTimer();
        this.release();
        this.metrics.insertsOk.inc({ table });
        this.metrics.rowsWritten.inc({ table }, batch.rows);
        try {
          this.onBatchWritten?.({ table, batchId: batch.id, rows: batch.rows });
        } catch (hookErr) {
          this.log.error({ err: hookErr, table }, 'onBatchWritten hook threw');
        }
        return;
      } catch (err) {
        stopTimer();
        this.release();
        const canRetry = isRetryable(err) && attempt < this.retryOpts.maxAttempts;
        this.metrics.insertsFailed.inc({ table, reason: isRetryable(err) ? 'retryable' : 'fatal' });
        if (!canRetry) {
          this.metrics.rowsDropped.inc({ table }, batch.rows);
          this.log.error(
            { err: new AgtError('AGT_ERR_STORE', `insert into ${table} failed: ${(err as Error).message}`, { cause: err }), code: errorCode(err), table, batchId: batch.id, rows: batch.rows, attempt },
            'insert failed; batch dropped',
          );
          return;
        }
        this.metrics.insertsRetried.inc({ table });
        const delay = backoffMs(attempt, this.retryOpts.initialMs, this.retryOpts.maxMs);
        this.log.warn({ code: errorCode(err), table, batchId: batch.id, attempt, delayMs: delay }, 'insert failed; retrying with the same dedup token');
        await new Promise<void>((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
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

  private updateGauges(): void {
    for (const [table, s] of this.tables) {
      this.metrics.queueBytes.set({ table }, this.pendingBytes(s) + s.inflightBytes);
      this.metrics.queueRows.set({ table }, this.pendingRows(s) + s.inflightRows);
    }
  }
}
