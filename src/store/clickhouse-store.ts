/** The ClickHouse session store: queues rows per table, inserts them in batches with dedup tokens. */
import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import type { EvalResult } from '../model/span.js';
import { AgtError } from '../model/errors.js';
import type { Logger } from '../log.js';
import { failed, ok, retryable, type Outcome } from '../model/outcome.js';
import type { SessionWrite } from '../model/session.js';
import { buildEvalRow } from './eval-row.js';
import type { MetricTable } from './metric-rows.js';
import { connectStore } from './open-store.js';
import type { InsertHold } from './insert-hold.js';
import { appendRow, markWrite } from './pending-lines.js';
import { BatchInserter } from './batch-inserter.js';
import type { RetryOptions } from './retry-policy.js';
import { sessionTableRows } from './session-rows.js';
import { STORE_TABLES, type StoreTable } from './tables.js';
import { SpillQueue } from './spill-queue.js';
import type { SpillBudget } from '../durability/spill-budget.js';
import { StoreMetrics } from './store-metrics.js';
import { BatchSender } from './batch-sender.js';
import { FlushScheduler } from './flush-scheduler.js';
import { newTableQueue, pendingBytes, pendingRows, type TableState } from './table-queue.js';
import type { SessionStore } from '../model/session-store.js';
import type { ClickHouseStoreOptions, StoreOpenParams } from './store-options.js';
import { newRollup } from './rollups.js';
import { NoopJournal, type Journal } from '../durability/journal.js';
import type { ReplayPlan } from '../durability/replay.js';
import { LIVE_WRITES, ReplayRebuild, type WriteRouter } from './replay-rebuild.js';
import { rowLine } from './row-format.js';
import { sessionWriteKey } from './write-key.js';





/** A write still on its way to ClickHouse: in how many tables, and the oldest log record it needs. */
interface Outstanding {
  tables: number;
  pin: number;
}

/** ClickHouse-backed SessionStore (embedded chDB or a server, whichever client is passed in). */
export class ClickHouseStore implements SessionStore {
  /** The client, for read-only queries of the API. */
  readonly client: ClickHouseClient;
  readonly database: string;
  private readonly maxQueueBytes: number;
  private readonly retryOpts: RetryOptions;
  private readonly log: Logger;
  private readonly metrics: StoreMetrics;
  private readonly sender: BatchSender;
  private readonly tables = new Map<StoreTable, TableState>();
  private readonly scheduler: FlushScheduler;
  private closed = false;
  private readonly inserter: BatchInserter;
  private readonly insertHold: InsertHold | undefined;
  private readonly journal: Journal;
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly spillBudget: SpillBudget | null;
  /** Where writes go: queued (live), or skipped / collected by recovery's rebuild of logged batches. */
  private writes: WriteRouter = LIVE_WRITES;
  private rebuild: ReplayRebuild | null = null;

  constructor(opts: ClickHouseStoreOptions) {
    this.client = opts.client;
    this.database = opts.database;
    this.maxQueueBytes = opts.maxQueueBytes ?? 256 * 1024 * 1024;
    this.retryOpts = opts.retry;
    this.log = opts.log;
    this.metrics = new StoreMetrics(opts.registry ?? new Registry(), () => this.updateGauges());
    this.inserter = new BatchInserter({ client: opts.client, database: opts.database, retry: opts.retry, durable: opts.journal?.keepsRecords === true, maxConcurrent: opts.maxConcurrentInserts ?? 1, insertBudgetBytes: opts.insertBudgetBytes ?? 0, ...(opts.insertHold ? { hold: opts.insertHold } : {}), metrics: this.metrics, log: opts.log });
    this.insertHold = opts.insertHold;
    this.journal = opts.journal ?? new NoopJournal();
    this.sender = new BatchSender({ inserter: this.inserter, journal: this.journal, retry: opts.retry, metrics: this.metrics, log: opts.log, now: opts.now ?? Date.now, settle: (keys) => this.settle(keys), onBatchWritten: opts.onBatchWritten });
    const budget: SpillBudget | null = opts.spill !== undefined && this.journal.keepsRecords ? opts.spill.budget : null;
    this.spillBudget = budget;
    for (const t of STORE_TABLES) {
      this.tables.set(t, newTableQueue(t, budget !== null && newRollup(t) === null ? new SpillQueue(opts.spill!.dir, t, budget) : null));
    }
    this.scheduler = new FlushScheduler({
      tables: this.tables,
      sender: this.sender,
      batchRows: opts.batchRows ?? 10_000,
      batchBytes: opts.batchBytes ?? 8 * 1024 * 1024, // 8 MiB
      maxQueueBytes: this.maxQueueBytes,
      flushIntervalMs: opts.flushIntervalMs ?? 1000,
      metrics: this.metrics,
      log: opts.log,
      settle: (keys) => this.settle(keys),
    });
  }

  /**
   * Opens the configured back end (embedded chDB or a server), applies migrations, empties the spill of a previous
   * run (with the log on, its rows are re-sent from the log) and returns the store. The constructor does no I/O.
   */
  static async open(p: StoreOpenParams): Promise<ClickHouseStore> {
    const { config, log, migrate, ...wiring } = p;
    const client = await connectStore(config, log, migrate !== false);
    if (wiring.spill !== undefined && wiring.journal?.keepsRecords === true) SpillQueue.reset(wiring.spill.dir);
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
      ...wiring,
    });
  }

  /** Bytes queued or in flight over all tables. */
  queuedBytes(): number {
    let total = 0;
    for (const s of this.tables.values()) total += pendingBytes(s) + s.inflightBytes;
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
    const key = sessionWriteKey(w);
    const pin = w.pinLsn ?? Number.MAX_SAFE_INTEGER;
    for (const { table, rows } of sessionTableRows(w)) this.enqueue(table, key, pin, rows, w);
    return ok();
  }

  /** Queue eval results (every eval, whatever the decision); `tag` names the write for the log. */
  writeEvals(tenantId: string, evals: EvalResult[], tag?: { key: string; pinLsn: number }): Outcome<void> {
    const refused = this.refusal('evals');
    if (refused !== null) return refused;
    const key = tag?.key ?? `e\u0000${tenantId}\u0000${evals.length}`;
    this.enqueue('evals', key, tag?.pinLsn ?? Number.MAX_SAFE_INTEGER, evals.map((e) => buildEvalRow(tenantId, e)), null);
    return ok();
  }

  /** Queue `logs` rows (src/store/log-row.ts) under the key of the log record they came from (src/logs/log-joiner.ts). */
  writeLogs(rows: Record<string, unknown>[], tag: { key: string; pinLsn: number }): Outcome<void> {
    const refused = this.refusal('logs');
    if (refused !== null) return refused;
    this.enqueue('logs', tag.key, tag.pinLsn, rows, null);
    return ok();
  }

  /**
   * Queue otel_metrics_* rows (src/store/metric-rows.ts) of one logged metrics request under one key: replaying the
   * request after a crash rebuilds the same write, skipped where confirmed and re-sent under its batch's token where not.
   */
  writeMetrics(rows: readonly { table: MetricTable; row: Record<string, unknown> }[], tag: { key: string; pinLsn: number }): Outcome<void> {
    const refused = this.refusal('metrics');
    if (refused !== null) return refused;
    const byTable = new Map<MetricTable, Record<string, unknown>[]>();
    for (const r of rows) {
      const list = byTable.get(r.table);
      if (list === undefined) byTable.set(r.table, [r.row]);
      else list.push(r.row);
    }
    for (const [table, list] of byTable) this.enqueue(table, tag.key, tag.pinLsn, list, null);
    return ok();
  }

  /** True while inserts fail and are being retried (ClickHouse unreachable or refusing). */
  get insertsFailing(): boolean {
    return this.inserter.failing;
  }

  /** The oldest log record a write not yet in ClickHouse needs (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const o of this.outstanding.values()) if (o.pin < min) min = o.pin;
    return min;
  }

  /** Writes not yet confirmed in every table they go to. */
  get outstandingWrites(): number {
    return this.outstanding.size;
  }

  /**
   * Recovery: writes rebuilt from the log skip the tables where they are confirmed, and the writes of a logged,
   * unconfirmed batch are collected and re-sent as that batch, with its token (ClickHouse drops it if it arrived).
   */
  beginReplay(plan: ReplayPlan): void {
    this.rebuild = new ReplayRebuild(plan, (b) => {
      const st = this.state(b.table);
      st.ready.push({ table: b.table, body: b.body, rows: b.rows, bytes: b.body.length, id: b.batchId, keys: b.keys, logged: true });
      this.scheduler.maybeKick(b.table, st);
    });
    this.writes = this.rebuild;
  }

  /** Ends recovery: batches whose writes were not all rebuilt are re-sent with what was found (counted, logged). */
  endReplay(): { resent: number; incomplete: number; missingWrites: number } {
    const rebuild = this.rebuild;
    this.rebuild = null;
    this.writes = LIVE_WRITES;
    if (rebuild === null) return { resent: 0, incomplete: 0, missingWrites: 0 };
    const { sample, ...done } = rebuild.finish();
    if (done.incomplete > 0) this.log.warn({ incomplete: done.incomplete, missingWrites: done.missingWrites, sample }, 'logged batches could not be fully rebuilt on recovery; re-sent what was found');
    return done;
  }

  /** Sends one write's rows for one table: skipped (confirmed before a crash), collected (for a rebuilt batch), or queued. */
  private enqueue(table: StoreTable, key: string, pin: number, rows: Record<string, unknown>[] | null, w: SessionWrite | null): void {
    if (rows !== null && rows.length === 0) return;
    const claim = this.writes.claim(table, key);
    if (claim === 'skip') return;
    this.hold(key, pin);
    if (claim === 'collect') {
      this.writes.collect(table, key, rows, w);
      return;
    }
    const s = this.state(table);
    if (rows === null) {
      s.keys.push(key);
      s.rollup!.add(w!);
    } else {
      // Each row's text goes into the table's batch body at once (pending-lines.ts): the string dies young.
      for (let i = 0; i < rows.length; i++) appendRow(s, rowLine(table, rows[i]!));
      markWrite(s, key);
    }
    this.scheduler.maybeKick(table, s);
  }

  private hold(key: string, pin: number): void {
    const o = this.outstanding.get(key);
    if (o === undefined) this.outstanding.set(key, { tables: 1, pin });
    else {
      o.tables++;
      if (pin < o.pin) o.pin = pin;
    }
  }

  private settle(keys: readonly string[]): void {
    for (const k of keys) {
      const o = this.outstanding.get(k);
      if (o === undefined) continue;
      if (--o.tables <= 0) this.outstanding.delete(k);
    }
  }

  /** Inserts everything queued and waits for it (including retries). */
  forceFlush(): Promise<void> {
    return this.scheduler.forceFlush();
  }

  /**
   * Refuses new writes, flushes what is queued and closes the client. `abandon`: stop retrying and close now
   * (shutdown past its deadline with the log on: unwritten batches are re-sent from the log on the next start).
   */
  async shutdown(opts: { abandon?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.shutdown();
    this.insertHold?.stop();
    if (opts.abandon === true) this.inserter.abandon();
    else await this.forceFlush();
    this.inserter.gate.close();
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

  /** The process is at its memory limit (true) or back under it (false): smaller batches meanwhile (flush-scheduler.ts). */
  setMemoryPressure(over: boolean): void {
    this.scheduler.setMemoryPressure(over);
  }

  private updateGauges(): void {
    for (const [table, s] of this.tables) {
      this.metrics.queueBytes.set({ table }, pendingBytes(s) + s.inflightBytes);
      this.metrics.queueRows.set({ table }, pendingRows(s) + s.inflightRows);
    }
    if (this.spillBudget !== null) this.metrics.spilledBytes.set(this.spillBudget.used);
  }
}
