/**
 * The one interface of everything that logs (STYLE.md 16, 17): the session buffer (requests, evals, decisions), the
 * logs stage (logs requests) and the store (batches taken and written) all log through a Journal. The write-ahead log
 * is one (src/durability/durability.ts); with durability `off` the root hands in the no-op journal, so no caller
 * tests for a missing log: records get LSNs all the same, durable at once, and nothing is read back.
 */
import { ok, type Outcome } from '../model/outcome.js';
import type { WalRecord } from './wal/record-codec.js';

/** A record's place in the log, and when it is on disk. */
export interface Logged {
  /** Log sequence number: the record's position, increasing in the order of the calls. */
  lsn: number;
  /** Resolves once the record is durable (at once for the no-op journal). */
  durable: Promise<Outcome<void>>;
}

/** Everything that logs, logs through this. */
export interface Journal {
  /** True when records survive a restart (the write-ahead log); false for the no-op journal. */
  readonly keepsRecords: boolean;
  /** Logs a record: its LSN at once, durability later (records keep the order of the calls); retryable when the log is full. */
  log(record: WalRecord): Outcome<Logged>;
  /** The logged records at `lsns` still in the log, in log order (nothing for the no-op journal). */
  readBack(lsns: readonly number[]): Promise<{ lsn: number; record: WalRecord }[]>;
  /**
   * Byte ranges of the body of the logged request at `lsn` (offsets within the body), with the record (its body empty):
   * what a span held lean needs back, without reading the whole request. Null when the record is gone. Absent: the
   * journal keeps no bodies to read (the no-op journal, test doubles).
   */
  readBodyRanges?(lsn: number, ranges: readonly { offset: number; length: number }[]): Promise<{ record: WalRecord; parts: (Uint8Array | null)[] } | null>;
}

const DURABLE_NOW: Promise<Outcome<void>> = Promise.resolve(ok());

/** Durability `off`: every record gets the next LSN and is "durable" at once; nothing is kept or read back. */
export class NoopJournal implements Journal {
  readonly keepsRecords = false;
  private nextLsn = 1;

  log(_record: WalRecord): Outcome<Logged> {
    return ok({ lsn: this.nextLsn++, durable: DURABLE_NOW });
  }

  readBack(_lsns: readonly number[]): Promise<{ lsn: number; record: WalRecord }[]> {
    return Promise.resolve([]);
  }
}

/**
 * The edge every signal shares (spans, evals, log records, metric points): log the request, place what it carries in
 * the same tick (so the log's order is the stage's), and answer once the record is durable. A refusal by the log
 * (`onLogRefused` counts it) or by placing is answered at once: the client sends again, and a copy in the log is
 * stored once by its identity.
 */
export function logPlaceAwait(journal: Journal, record: WalRecord, place: (lsn: number) => Outcome<void>, onLogRefused?: () => void): Promise<Outcome<void>> {
  const logged = journal.log(record);
  if (logged.status !== 'ok') {
    onLogRefused?.();
    return Promise.resolve(logged);
  }
  const placed = place(logged.value.lsn);
  if (placed.status !== 'ok') return Promise.resolve(placed);
  return logged.value.durable;
}
