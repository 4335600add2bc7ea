/**
 * Log records of dropped sessions are counted, not stored; when such a session is upgraded later (a late low eval,
 * an error), its earlier records are read back from the write-ahead log and stored, as its spans are. This remembers,
 * per dropped session, which logged requests and groups it dropped (bounded in sessions and in time), and each sweep
 * backfills those whose session the decision cache now says is kept. Without the log there is nothing to read back.
 */
import type { Logger } from '../log.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import { groupOf } from './group-key.js';
import type { LogEntry } from './types.js';
import { PinnedReads } from '../durability/pinned-reads.js';

/** Reads logged logs requests back, decoded as on arrival (records no longer in the log are left out). */
export type LogReadBack = (lsns: readonly number[]) => Promise<{ lsn: number; entries: LogEntry[] }[]>;

/** Nothing to read back (durability off). */
export const NO_READ_BACK: LogReadBack = () => Promise.resolve([]);

interface Dropped {
  tenantId: string;
  sessionId: string;
  parts: { lsn: number; key: string }[];
  atMs: number;
}

/** Dependencies of DroppedLogs. */
export interface DroppedLogsParams {
  cache: DecisionCache;
  readBack: LogReadBack;
  /** True when the record was first carried by the logged request at `lsn` (not a re-delivery of one seen before). */
  owns: (entry: LogEntry, lsn: number) => boolean;
  /** Writes one backfilled group as the joiner writes kept records; false when the store refused. */
  write: (entries: LogEntry[], lsn: number, key: string, sessionId: string) => boolean;
  /** How long a dropped session's records stay eligible (logs.holdMs: past it the log may have released them). */
  windowMs: number;
  /** Dropped sessions remembered at most; the oldest is forgotten first. */
  maxSessions: number;
  log: Logger;
  onBackfilled: (records: number) => void;
}

/** Dropped sessions' logged records, kept track of for a later upgrade. */
export class DroppedLogs {
  private readonly sessions = new Map<string, Dropped>();
  private readonly reads = new PinnedReads();

  constructor(private readonly p: DroppedLogsParams) {}

  /** A group of a logged request was dropped with its session. */
  remember(tenantId: string, sessionId: string, lsn: number, key: string, nowMs: number): void {
    const k = `${tenantId}\u0000${sessionId}`;
    let d = this.sessions.get(k);
    if (d === undefined) {
      if (this.sessions.size >= this.p.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
      this.sessions.set(k, (d = { tenantId, sessionId, parts: [], atMs: nowMs }));
    }
    d.parts.push({ lsn, key });
  }

  /** Starts the backfill of sessions now kept; forgets those past the window. */
  sweep(nowMs: number): void {
    for (const [k, d] of this.sessions) {
      if (this.p.cache.get(d.tenantId, d.sessionId)?.decision.kept === true) {
        this.sessions.delete(k);
        this.backfill(d);
      } else if (nowMs - d.atMs >= this.p.windowMs) {
        this.sessions.delete(k);
      }
    }
  }

  /** Resolves once every backfill in flight has handed its rows to the store. */
  settled(): Promise<void> {
    return this.reads.settled();
  }

  /** The oldest log record a backfill in flight reads (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    return this.reads.oldestPin();
  }

  private backfill(d: Dropped): void {
    const wanted = new Set(d.parts.map((x) => `${x.lsn}\u0000${x.key}`));
    const lsns = [...new Set(d.parts.map((x) => x.lsn))];
    const work = this.p
      .readBack(lsns)
      .then((read) => {
        let records = 0;
        for (const { lsn, entries } of read) {
          const groups = new Map<string, LogEntry[]>();
          for (const e of entries) {
            const key = groupOf(e);
            if (!wanted.has(`${lsn}\u0000${key}`) || !this.p.owns(e, lsn)) continue;
            const list = groups.get(key) ?? [];
            list.push(e);
            groups.set(key, list);
          }
          for (const [key, list] of groups) if (this.p.write(list, lsn, key, d.sessionId)) records += list.length;
        }
        this.p.onBackfilled(records);
      })
      .catch((err: unknown) => this.p.log.error({ err, tenantId: d.tenantId, sessionId: d.sessionId }, 'could not read an upgraded session\'s log records back from the log'));
    this.reads.track(work, Math.min(...lsns));
  }
}
