/**
 * The durability stage: owns the write-ahead log, is the Journal the session buffer, the logs stage and the store log
 * through (src/durability/journal.ts), recovers them from the log on start, and periodically checkpoints and releases
 * segments whose every record is settled and past retention. docs/durability.md describes the protocol.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Outcome } from '../model/outcome.js';
import { NO_LOGS, NO_METRICS, type DecisionRecord, type RecoveryTargets, type ReplayedLogs, type ReplayedSessions, type ReplayedStore, type ReplayIntent } from './replay.js';
import type { SpillBudget } from './spill-budget.js';
import type { Journal } from './journal.js';
import { WriteAheadLog, type WalDurability, type WalRecord } from './wal/write-ahead-log.js';

/** The spill may hold this much above the log's disk cap (minus the log's segments): rows already accepted can always be parked. */
const SPILL_RESERVE_RATIO = 1.25; // 125 % of wal.maxDiskBytes
/** Past this share of the disk cap, settled segments are released at once, before their retention. */
const RELEASE_EARLY_RATIO = 0.8; // 80 % of wal.maxDiskBytes
/** Past this share of the disk cap, readiness says degraded. */
const DEGRADED_RATIO = 0.9; // 90 % of wal.maxDiskBytes
/** Checkpoint and segment release interval when the config gives none. */
const DEFAULT_CHECKPOINT_INTERVAL_MS = 5_000; // 5 s

/** Parameters of Durability.open. */
export interface DurabilityParams {
  dir: string;
  /** How group commits are synced (durability `off` runs the no-op journal instead of this stage). */
  durability: WalDurability;
  segmentBytes: number;
  maxDiskBytes: number;
  groupCommitMs: number;
  retentionMs: number;
  /** How often to checkpoint and release segments (default 5 s). */
  checkpointIntervalMs?: number;
  log: Logger;
  registry?: Registry;
}

/** What recovery found and did. */
export interface RecoveryReport {
  records: number;
  corrupt: number;
  tornTail: boolean;
  logBytes: number;
  requestsReplayed: number;
  /** Logs requests placed again (src/logs/). */
  logRequestsReplayed: number;
  /** Metrics requests written again (src/metrics/). */
  metricRequestsReplayed: number;
  requestsSkipped: number;
  unreadableRequests: number;
  decisionsReused: number;
  batchesResent: number;
  batchesIncomplete: number;
  openSessions: number;
  ms: number;
}

const PASS_ONE = new Set<WalRecord['type']>(['decision', 'batch', 'written', 'checkpoint']);

/** What pass 1 of recovery reads: the control records. */
interface ControlRecords {
  decisions: { lsn: number; record: DecisionRecord }[];
  batches: Map<string, ReplayIntent>;
  /** Batches confirmed in ClickHouse (`written`), by table + token; `dropped` ones are not in it. */
  written: Set<string>;
  stored: number;
  checkpoint: number;
  report: Awaited<ReturnType<WriteAheadLog['replay']>>;
}
const PASS_TWO = new Set<WalRecord['type']>(['request', 'eval', 'decision', 'logs', 'metrics']);

/** The write-ahead log wired into the pipeline. */
export class Durability implements Journal {
  readonly keepsRecords = true;
  private sessions: ReplayedSessions | null = null;
  private store: ReplayedStore | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastCheckpoint = 0;
  private checkpointing: Promise<void> = Promise.resolve();
  private readonly bytesGauge: Gauge | null;
  /** Pass 1 of recovery, read once (the server asks before opening the store, recovery uses it). */
  private control: Promise<ControlRecords> | null = null;
  private logs: ReplayedLogs = NO_LOGS;
  /**
   * Disk for the store's spilled rows (src/store/spill-queue.ts), shared with the log's cap: requests are refused
   * once segments + spill reach `maxDiskBytes`; the spill may use a 25 % reserve above it, so rows of data already
   * accepted can always be parked.
   */
  readonly spillBudget: SpillBudget;

  private constructor(
    readonly wal: WriteAheadLog,
    private readonly p: DurabilityParams,
    spillBudget: SpillBudget,
  ) {
    this.spillBudget = spillBudget;
    this.bytesGauge =
      p.registry === undefined
        ? null
        : new Gauge({ name: 'agenttail_wal_disk_bytes', help: 'Bytes of write-ahead log segments on disk.', registers: [p.registry], collect: () => this.bytesGauge?.set(this.wal.diskBytes) });
  }

  /** Opens the log (creating its directory). */
  static async open(p: DurabilityParams): Promise<Durability> {
    let walRef: WriteAheadLog | null = null;
    const spillBudget: SpillBudget = {
      used: 0,
      get max(): number {
        return SPILL_RESERVE_RATIO * p.maxDiskBytes - (walRef?.diskBytes ?? 0);
      },
    };
    const wal = await WriteAheadLog.open({
      reservedBytes: () => spillBudget.used,
      dir: p.dir,
      durability: p.durability,
      segmentBytes: p.segmentBytes,
      maxDiskBytes: p.maxDiskBytes,
      groupCommitMs: p.groupCommitMs,
      log: p.log,
      ...(p.registry === undefined ? {} : { registry: p.registry }),
    });
    walRef = wal;
    return new Durability(wal, p, spillBudget);
  }

  // ---- Journal ----

  log(record: WalRecord): Outcome<{ lsn: number; durable: Promise<Outcome<void>> }> {
    return this.wal.log(record);
  }

  readBack(lsns: readonly number[]): Promise<{ lsn: number; record: WalRecord }[]> {
    return this.wal.readAt(lsns);
  }

  readBodyRanges(lsn: number, ranges: readonly { offset: number; length: number }[]): Promise<{ record: WalRecord; parts: (Uint8Array | null)[] } | null> {
    return this.wal.readBodyRanges(lsn, ranges);
  }

  // ---- recovery ----

  /**
   * Replays the log into the buffer and the store before the receivers start: decisions are reused, open sessions
   * return with their original arrival times, writes confirmed in ClickHouse are skipped, and logged but
   * unconfirmed batches are rebuilt and re-sent under their tokens. Damaged records are skipped and counted.
   */
  async recover(targets: RecoveryTargets): Promise<RecoveryReport> {
    const t0 = performance.now();
    const { sessions: buffer, store, logs = NO_LOGS, metrics = NO_METRICS } = targets;
    this.logs = logs;
    this.sessions = buffer;
    this.store = store;
    const { decisions, batches, written, checkpoint, report: first } = await this.readControl();

    const confirmed = new Map<string, Set<string>>();
    const intents: ReplayIntent[] = [];
    for (const [id, b] of batches) {
      if (!written.has(id)) {
        intents.push(b);
        continue;
      }
      let set = confirmed.get(b.table);
      if (set === undefined) confirmed.set(b.table, (set = new Set()));
      for (const k of b.keys) set.add(k);
    }
    store.beginReplay({ confirmed, intents });
    buffer.beginReplay(decisions);

    let requestsReplayed = 0;
    let logRequestsReplayed = 0;
    let metricRequestsReplayed = 0;
    let requestsSkipped = 0;
    let unreadableRequests = 0;
    const second = await this.wal.replay((lsn, r) => {
      if (r.type === 'decision') {
        buffer.replayDecision(lsn, r);
        return;
      }
      // Below the last checkpoint everything was settled (decided, written, in no open session).
      if (lsn < checkpoint) {
        if (r.type === 'request' || r.type === 'logs' || r.type === 'metrics') requestsSkipped++;
        // Its records stay seen, so a client's re-delivery after the restart is stored once (src/logs/seen-records.ts).
        if (r.type === 'logs') logs.rememberLogs(lsn, r);
        return;
      }
      if (r.type === 'logs') {
        if (logs.replayLogs(lsn, r)) logRequestsReplayed++;
        else unreadableRequests++;
      } else if (r.type === 'metrics') {
        if (metrics.replayMetrics(lsn, r)) metricRequestsReplayed++;
        else unreadableRequests++;
      } else if (r.type === 'eval') {
        buffer.replayEvals(lsn, r.tenantId, r.evals);
      } else if (r.type === 'request') {
        if (buffer.replayRequest(lsn, r)) requestsReplayed++;
        else unreadableRequests++;
      }
    }, PASS_TWO);
    await buffer.endReplay();
    await logs.endReplay();
    const resent = store.endReplay();
    this.lastCheckpoint = checkpoint;
    if (unreadableRequests > 0) this.p.log.error({ unreadableRequests }, 'logged requests that could not be decoded again were skipped');
    const report: RecoveryReport = {
      // Pass 2 reads decisions again: count them once.
      records: first.records + second.records - decisions.length,
      corrupt: first.corrupt,
      tornTail: first.tornTail,
      logBytes: first.bytes,
      requestsReplayed,
      logRequestsReplayed,
      metricRequestsReplayed,
      requestsSkipped,
      unreadableRequests,
      decisionsReused: decisions.length,
      batchesResent: resent.resent,
      batchesIncomplete: resent.incomplete,
      openSessions: buffer.openSessions(),
      ms: Math.round(performance.now() - t0),
    };
    if (report.records > 0) this.p.log.info(report, 'recovered from the write-ahead log');
    return report;
  }

  /**
   * How many batches the log says reached ClickHouse (confirmed, not dropped). The server asks before it opens the
   * embedded store, to refuse starting on a store that is not there (a different working directory or path).
   */
  async storedBatches(): Promise<number> {
    return (await this.readControl()).stored;
  }

  private readControl(): Promise<ControlRecords> {
    this.control ??= (async () => {
      const c: Omit<ControlRecords, 'report'> = { decisions: [], batches: new Map(), written: new Set(), stored: 0, checkpoint: 0 };
      const report = await this.wal.replay((lsn, r) => {
        if (r.type === 'decision') c.decisions.push({ lsn, record: r });
        else if (r.type === 'batch') c.batches.set(`${r.table}\u0000${r.batchId}`, { table: r.table, batchId: r.batchId, keys: r.keys });
        else if (r.type === 'written') {
          c.written.add(`${r.table}\u0000${r.batchId}`);
          if (r.dropped !== true) c.stored++;
        } else if (r.type === 'checkpoint') c.checkpoint = Math.max(c.checkpoint, r.upToLsn);
      }, PASS_ONE);
      return { ...c, report };
    })();
    return this.control;
  }

  /** Starts periodic checkpoints and segment release. */
  start(targets: RecoveryTargets): void {
    this.sessions = targets.sessions;
    this.store = targets.store;
    this.logs = targets.logs ?? this.logs;
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.checkpoint(), this.p.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Logs how far the log is settled (min of what open sessions, held writes, upgrades and unwritten batches need)
   * and deletes segments below it that are older than the retention window.
   */
  checkpoint(): Promise<void> {
    this.checkpointing = this.checkpointing.then(async () => {
      if (this.sessions === null || this.store === null) return;
      const upTo = Math.min(this.sessions.oldestPin(), this.store.oldestPin(), this.logs.oldestPin(), this.wal.endLsn);
      if (upTo > this.lastCheckpoint) {
        const logged = this.wal.log({ type: 'checkpoint', upToLsn: upTo });
        if (logged.status === 'ok') {
          const durable = await logged.value.durable;
          if (durable.status === 'ok') this.lastCheckpoint = upTo;
        }
      }
      // Retention (for upgrades) gives way to disk pressure: past 80 % of the cap, settled segments go at once.
      const pressed = this.wal.diskBytes + this.spillBudget.used > RELEASE_EARLY_RATIO * this.p.maxDiskBytes;
      const released = await this.wal.release(this.lastCheckpoint, pressed ? 0 : this.p.retentionMs);
      if (pressed && released.deletedSegments > 0) this.p.log.warn({ deletedSegments: released.deletedSegments }, 'log near its disk cap: settled segments released before their retention');
    }).catch((err: unknown) => this.p.log.error({ err }, 'wal checkpoint failed'));
    return this.checkpointing;
  }

  /** Readiness: degraded while inserts fail (data waits in the log) or the log is past 90 % of its cap. */
  health(): { ok: true; degraded: boolean; detail: string } {
    const full = (this.wal.diskBytes + this.spillBudget.used) / this.p.maxDiskBytes;
    if (this.store?.insertsFailing === true) return { ok: true, degraded: true, detail: `inserts failing; ${this.wal.diskBytes} bytes held in the log` };
    if (full > DEGRADED_RATIO) return { ok: true, degraded: true, detail: `log at ${Math.round(full * 100)} % of its disk cap` };
    return { ok: true, degraded: false, detail: `${this.wal.diskBytes} bytes in the log` };
  }

  /** Last checkpoint, then closes the log (everything queued is written and synced). */
  async shutdown(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.checkpoint();
    await this.wal.close();
  }
}
