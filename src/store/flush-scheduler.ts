/**
 * When the store's table queues are sent (one job: the flush scheduler, as opentelemetry-js's BatchSpanProcessorBase
 * owns its timer): on size (rows or bytes of a batch), on an unref'd timer, and at once for a rebuilt batch; one
 * insert in flight per table; under memory pressure smaller batches; while an insert is stuck, what piles up behind it
 * is spilled to disk. The batch sender is handed in: the scheduler never knows the transport.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import type { BatchSender } from './batch-sender.js';
import type { StoreMetrics } from './store-metrics.js';
import { cutBatch, pendingBytes, pendingRows, type TableState } from './table-queue.js';
import { clearPending, pendingBody } from './pending-lines.js';
import type { StoreTable } from './tables.js';

/** Dependencies of the scheduler. */
export interface FlushSchedulerParams {
  tables: ReadonlyMap<StoreTable, TableState>;
  sender: BatchSender;
  /** Rows and bytes of a table that trigger an insert. */
  batchRows: number;
  batchBytes: number;
  /** The store's queue cap: a stuck table spills past an eighth of it. */
  maxQueueBytes: number;
  flushIntervalMs: number;
  metrics: StoreMetrics;
  log: Logger;
  /** Writes of an empty batch are settled at once. */
  settle: (keys: readonly string[]) => void;
}

export class FlushScheduler {
  /** Set while the process is at its memory limit: batches are sent at a quarter of batchBytes (setMemoryPressure). */
  private memoryPressure = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly p: FlushSchedulerParams) {
    this.timer = setInterval(() => this.kickAll(), p.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * The process is at its memory limit (true) or back under it (false). Meanwhile a table's rows are sent once a quarter
   * of batchBytes has piled up: the embedded engine's memory per insert grows with the batch, and under pressure many
   * sessions are decided at once. (bench/e2e.ts --rss-cap-mb 700, RSS max under load: 2 MiB batches throughout 675 and
   * 686 MB, 8 MiB 652, 753 and 777 MB, quarter batches under pressure only 688 and 751 MB: the runs vary too much to
   * rank the last two; the reason stands on its own.)
   */
  setMemoryPressure(over: boolean): void {
    this.memoryPressure = over;
  }

  /** Sends everything queued and waits for it (including retries). */
  async forceFlush(): Promise<void> {
    for (;;) {
      const waits: Promise<void>[] = [];
      for (const [table, s] of this.p.tables) {
        if (s.inflight === null && pendingRows(s) > 0) this.kick(table, s);
        if (s.inflight !== null) waits.push(s.inflight);
      }
      if (waits.length === 0) return;
      await Promise.all(waits);
    }
  }

  /** Stops the timer (the store flushes or abandons what is left). */
  shutdown(): void {
    clearInterval(this.timer);
  }

  /** Rows were queued in `table`: send when a batch is due. */
  maybeKick(table: StoreTable, s: TableState): void {
    const { batchBytes, batchRows, maxQueueBytes } = this.p;
    if (s.inflight !== null) {
      // An insert is stuck (retrying): park what piled up behind it on disk rather than in memory.
      if (s.spill !== null && s.rows > 0 && s.bytes >= Math.min(batchBytes, maxQueueBytes / 8)) this.spillPending(table, s);
      return;
    }
    const kickBytes = this.memoryPressure ? batchBytes / 4 : batchBytes;
    if (s.ready.length > 0 || pendingRows(s) >= batchRows || pendingBytes(s) >= kickBytes) this.kick(table, s);
  }

  private kickAll(): void {
    for (const [table, s] of this.p.tables) if (s.inflight === null && pendingRows(s) > 0) this.kick(table, s);
  }

  private spillPending(table: StoreTable, s: TableState): void {
    if (!s.spill!.push(pendingBody(s), s.keys, s.rows)) return; // disk budget spent: rows stay in memory (and count there)
    this.p.metrics.spilledBatches.inc({ table });
    clearPending(s);
  }

  /** Takes the table's next batch (rebuilt, spilled, then pending rows, in that order) and starts sending it. */
  private kick(table: StoreTable, s: TableState): void {
    if (s.ready.length === 0 && s.spill !== null && s.spill.size > 0) {
      const spill = s.spill;
      s.inflight = (async () => {
        const c = await spill.shift();
        if (c === null) return;
        const id = createHash('sha256').update(table).update('\n').update(c.body).digest('hex').slice(0, 32);
        s.inflightBytes = c.body.length;
        s.inflightRows = c.rows;
        await this.p.sender.send({ table, body: c.body, rows: c.rows, bytes: c.body.length, id, keys: c.keys, logged: false });
      })()
        .catch((err: unknown) => this.p.log.error({ err, table }, 'could not read a spilled batch back; it is rebuilt from the log on the next start'))
        .finally(() => {
          s.inflight = null;
          s.inflightBytes = 0;
          s.inflightRows = 0;
          this.maybeKick(table, s);
        });
      return;
    }
    // Under memory pressure a batch is cut at the pressure kick size: rows piled up behind held inserts go in parts.
    const batch = cutBatch(table, s, this.memoryPressure ? this.p.batchBytes / 4 : Infinity, this.p.settle);
    if (batch === null) return;
    s.inflightBytes = batch.bytes;
    s.inflightRows = batch.rows;
    s.inflight = this.p.sender.send(batch).finally(() => {
      s.inflight = null;
      s.inflightBytes = 0;
      s.inflightRows = 0;
      this.maybeKick(table, s);
    });
  }
}
