/**
 * Joins accepted log records to their agent session and stores them by the session's decision: a record names its
 * session by trace id (the decision cache maps decided traces to sessions) or by a session alias. Records of a
 * decided session go at once (kept: stored; dropped: counted); the others wait, bounded in bytes and time, and each
 * sweep releases those whose session has been decided since. Records in no session follow `logs.untraced`.
 * With the log on, the request is logged before it is placed and answered once durable (like spans); recovery
 * replays it here in log order, and every write is keyed by its log record, so a replay is written once.
 */
import { Registry } from 'prom-client';
import type { LogsConfig } from '../config/logs.js';
import type { EvalResult } from '../model/span.js';
import { AgtError } from '../model/errors.js';
import type { Logger } from '../log.js';
import { ok, retryable, type Outcome } from '../model/outcome.js';
import type { RequestSource } from '../model/sinks.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import { logPlaceAwait, NoopJournal, type Journal } from '../durability/journal.js';
import { buildLogRow } from '../store/log-row.js';
import { DroppedLogs, NO_READ_BACK, type LogReadBack } from './dropped-logs.js';
import { groupOf, traceOf } from './group-key.js';
import type { LogSink } from './log-route.js';
import { LogMetrics, type LogOutcome } from './log-metrics.js';
import { logRecordIdentity, SeenLogRecords } from './seen-records.js';
import type { LogEntry } from './types.js';

/** The store's part: queue rows of the `logs` table under a key naming their log record. */
export interface LogStore {
  writeLogs(rows: Record<string, unknown>[], tag: { key: string; pinLsn: number }): Outcome<void>;
  hasCapacity(): boolean;
}

/** The session buffer's part: evals found in log records go to their session like posted evals. */
export interface LogEvalsTarget {
  acceptLoggedEvals(lsn: number, tenantId: string, evals: EvalResult[]): void;
}






interface Held {
  entries: LogEntry[];
  lsn: number;
  atMs: number;
  bytes: number;
}

/** Records waiting for one trace or session, by request. */
interface HeldGroup {
  tenantId: string;
  traceId: string | null;
  sessionId: string | null;
  requests: Held[];
}

/** Dependencies of the joiner. */
export interface LogJoinerParams {
  config: LogsConfig;
  cache: DecisionCache;
  store: LogStore;
  evals: LogEvalsTarget;
  log: Logger;
  /** Where logs requests are logged (default: the no-op journal, durability `off`). */
  journal?: Journal;
  registry?: Registry;
  now?: () => number;
  /** How often held records are checked against decisions (default 250 ms). */
  sweepIntervalMs?: number;
  /** Reads logged logs requests back for upgraded sessions (src/logs/log-replay.ts); none without the log. */
  readBack?: LogReadBack;
}

/** Dropped sessions remembered for a later upgrade, at most (about 100 B each plus their parts). */
const MAX_DROPPED_SESSIONS = 100_000;

/** Places log records by their session's decision; the LogSink the logs route hands records to. */
export class LogJoiner implements LogSink {
  private readonly held = new Map<string, HeldGroup>();
  private heldBytes = 0;
  private heldRecords = 0;
  private readonly metrics: LogMetrics;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private readonly dropped: DroppedLogs;
  /** Records seen, so a re-delivery is stored and counted once. */
  private readonly seen: SeenLogRecords;
  private readonly journal: Journal;

  constructor(private readonly p: LogJoinerParams) {
    this.now = p.now ?? Date.now;
    this.journal = p.journal ?? new NoopJournal();
    const registry = p.registry ?? new Registry();
    this.metrics = new LogMetrics(registry, () => ({ heldRecords: this.heldRecords, heldBytes: this.heldBytes }));
    this.seen = new SeenLogRecords({ maxBytes: p.config.seenMaxBytes, registry });
    this.dropped = new DroppedLogs({
      cache: p.cache,
      readBack: p.readBack ?? NO_READ_BACK,
      owns: (e, lsn) => (this.seen.firstArrival(groupOf(e), logRecordIdentity(e.record)) ?? lsn) === lsn,
      write: (entries, lsn, key, sessionId) => this.write(entries, lsn, key, sessionId, 'backfilled'),
      windowMs: p.config.holdMs,
      maxSessions: MAX_DROPPED_SESSIONS,
      log: p.log,
      onBackfilled: (n) => this.metrics.backfilled.inc(n),
    });
  }

  /** Starts the periodic sweep (unref'ed). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(), this.p.sweepIntervalMs ?? 250);
    this.timer.unref();
  }

  /** Stops the sweep; held records stay in the log (with it on) for the next start, and are said to be lost without it. */
  shutdown(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.heldRecords === 0) return;
    if (!this.journal.keepsRecords) this.p.log.warn({ heldRecords: this.heldRecords }, 'log records still waiting for their sessions are lost at shutdown (wal.durability off)');
    else this.p.log.info({ heldRecords: this.heldRecords }, 'log records still waiting for their sessions stay in the write-ahead log for the next start');
  }

  admit(tenantId: string, wireBytes: number): Outcome<void> {
    if (this.heldBytes + wireBytes > this.p.config.maxHeldBytes) {
      const err = new AgtError('AGT_ERR_BUFFER_FULL', `log records waiting for their sessions hold ${this.heldBytes} of ${this.p.config.maxHeldBytes} bytes (logs.maxHeldBytes; tenant ${tenantId})`, { retryInMs: 1000 });
      return retryable(err, 1000);
    }
    if (!this.p.store.hasCapacity()) return retryable(new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'the storage writer queues are full', { retryInMs: 1000 }), 1000);
    return ok();
  }

  /** Logs the request (when the log is on), places its records, and resolves once the log record is durable. */
  accept(entries: LogEntry[], source: RequestSource): Promise<Outcome<void>> {
    if (entries.length === 0) return Promise.resolve(ok());
    return logPlaceAwait(this.journal, { type: 'logs', ...source }, (lsn) => {
      this.place(entries, lsn, this.now());
      return ok();
    });
  }

  /** Recovery: a logged request is placed again, at its original arrival time. */
  replay(lsn: number, entries: LogEntry[], receivedAtMs: number): void {
    this.place(entries, lsn, receivedAtMs);
  }

  /** Recovery, below the last checkpoint: a settled logged request is not placed again, but its records stay seen. */
  remember(lsn: number, entries: LogEntry[]): void {
    for (const e of entries) this.seen.sight(groupOf(e), logRecordIdentity(e.record), lsn);
  }

  /** Resolves once backfills of upgraded sessions in flight have handed their rows to the store. */
  settled(): Promise<void> {
    return this.dropped.settled();
  }

  /** The oldest log record a held record or a backfill in flight needs (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    // Only a log that keeps records has segments to hold back.
    if (!this.journal.keepsRecords) return Number.MAX_SAFE_INTEGER;
    let min = this.dropped.oldestPin();
    for (const g of this.held.values()) for (const h of g.requests) if (h.lsn < min) min = h.lsn;
    return min;
  }

  /** Releases held records whose session has been decided, and those held past logs.holdMs. */
  sweep(): void {
    const nowMs = this.now();
    this.dropped.sweep(nowMs);
    for (const [key, g] of this.held) {
      const decided = this.decidedOf(g.tenantId, g.traceId, g.sessionId);
      const keep: Held[] = [];
      for (const h of g.requests) {
        const done = decided !== undefined ? this.release(h.entries, h.lsn, key, decided) : nowMs - h.atMs >= this.p.config.holdMs ? this.expire(h, key) : false;
        if (done) this.unhold(h);
        else keep.push(h);
      }
      if (keep.length === 0) this.held.delete(key);
      else g.requests = keep;
    }
  }

  private place(given: LogEntry[], lsn: number, nowMs: number): void {
    const entries = this.firstSightings(given, lsn);
    if (entries.length === 0) return;
    // Evals first: a late low score may upgrade a dropped session, and then its records here are kept.
    const evals = new Map<string, EvalResult[]>();
    for (const e of entries) {
      if (e.evalResult === null) continue;
      const list = evals.get(e.tenantId) ?? [];
      list.push(e.evalResult);
      evals.set(e.tenantId, list);
    }
    for (const [tenantId, list] of evals) {
      this.p.evals.acceptLoggedEvals(lsn, tenantId, list);
      this.metrics.evals.inc(list.length);
    }
    const groups = new Map<string, { g: Omit<HeldGroup, 'requests'>; entries: LogEntry[] }>();
    for (const e of entries) {
      const traceId = traceOf(e);
      const key = groupOf(e);
      let b = groups.get(key);
      if (b === undefined) groups.set(key, (b = { g: { tenantId: e.tenantId, traceId, sessionId: e.sessionId }, entries: [] }));
      b.entries.push(e);
    }
    for (const [key, { g, entries: list }] of groups) {
      if (g.traceId === null && g.sessionId === null) {
        this.untraced(list, lsn, key);
        continue;
      }
      const decided = this.decidedOf(g.tenantId, g.traceId, g.sessionId);
      if (decided !== undefined && this.release(list, lsn, key, decided)) continue;
      this.hold(key, g, list, lsn, nowMs);
    }
  }

  /** The records this arrival carries first; re-deliveries of records seen before are counted and left out (evals too). */
  private firstSightings(entries: LogEntry[], arrival: number): LogEntry[] {
    let out: LogEntry[] | null = null;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const first = this.seen.sight(groupOf(e), logRecordIdentity(e.record), arrival) === arrival;
      if (out === null) {
        if (!first) out = entries.slice(0, i);
      } else if (first) out.push(e);
    }
    if (out === null) return entries;
    this.count('duplicate', entries.length - out.length);
    return out;
  }

  /** The decided session of a trace (or, failing that, of the session alias), from the decision cache. */
  private decidedOf(tenantId: string, traceId: string | null, sessionId: string | null): { sessionId: string; kept: boolean } | undefined {
    const ids = [traceId === null ? undefined : this.p.cache.sessionOfTrace(tenantId, traceId), sessionId ?? undefined];
    for (const id of ids) {
      if (id === undefined) continue;
      const e = this.p.cache.get(tenantId, id);
      if (e !== undefined) return { sessionId: id, kept: e.decision.kept };
    }
    return undefined;
  }

  /** Writes (kept) or counts (dropped) one request's records of one group; false when the store refused (try again later). */
  private release(entries: LogEntry[], lsn: number, key: string, decided: { sessionId: string; kept: boolean }): boolean {
    if (!decided.kept) {
      this.count('dropped', entries.length);
      this.dropped.remember(entries[0]!.tenantId, decided.sessionId, lsn, key, this.now());
      return true;
    }
    return this.write(entries, lsn, key, decided.sessionId, 'kept');
  }

  private untraced(entries: LogEntry[], lsn: number, key: string): boolean {
    if (this.p.config.untraced === 'drop') {
      this.count('discarded', entries.length);
      return true;
    }
    return this.write(entries, lsn, key, '', 'unsampled');
  }

  private expire(h: Held, key: string): boolean {
    const done = this.untraced(h.entries, h.lsn, key);
    if (done) this.metrics.expired.inc(h.entries.length);
    return done;
  }

  private write(entries: LogEntry[], lsn: number, key: string, sessionId: string, outcome: LogOutcome | 'backfilled'): boolean {
    const rows = entries.map((e) => buildLogRow(e.tenantId, e.record, sessionId));
    // One key per log record and group: a replay of the record (or a backfill of it) rebuilds exactly these rows under this key.
    const written = this.p.store.writeLogs(rows, { key: `l\u0000${lsn}\u0000${key}`, pinLsn: lsn });
    if (written.status !== 'ok') return false;
    // A backfill's records were counted as dropped when they arrived: counted once, there.
    if (outcome !== 'backfilled') this.count(outcome, entries.length);
    return true;
  }

  private hold(key: string, g: Omit<HeldGroup, 'requests'>, entries: LogEntry[], lsn: number, nowMs: number): void {
    let bytes = 0;
    for (const e of entries) bytes += e.record.wireBytes;
    let group = this.held.get(key);
    if (group === undefined) this.held.set(key, (group = { ...g, requests: [] }));
    group.requests.push({ entries, lsn, atMs: nowMs, bytes });
    this.heldBytes += bytes;
    this.heldRecords += entries.length;
  }

  private unhold(h: Held): void {
    this.heldBytes -= h.bytes;
    this.heldRecords -= h.entries.length;
  }

  private count(outcome: LogOutcome, n: number): void {
    this.metrics.records.inc({ outcome }, n);
  }
}
