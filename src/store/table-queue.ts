/**
 * One table's queue in the store (one job each: this file holds the queue and cuts its batches): rows pending by
 * write (line tables) or a rollup folding whole writes (rollup tables), batches ready to send first (rebuilt on
 * recovery), rows spilled to disk during an outage, and the insert in flight.
 */
import { createHash } from 'node:crypto';
import { emptyPendingLines, linesBuffer, takeWrites, type PendingLines } from './pending-lines.js';
import { newRollup, type SessionRollup } from './rollups.js';
import { rowLine } from './row-format.js';
import type { SpillQueue } from './spill-queue.js';
import type { StoreTable } from './tables.js';

/** One insert: a table's rows as lines (row-format.ts), its dedup token and the write keys it holds. */
export interface Batch {
  table: StoreTable;
  body: Buffer;
  rows: number;
  bytes: number;
  id: string;
  /** Keys of the writes in the batch. */
  keys: string[];
  /** Already in the log (a batch rebuilt on recovery). */
  logged: boolean;
}

/** The state of one table's queue. */
export interface TableState extends PendingLines {
  /** Rollup tables: the writes folded so far (line tables: null, their rows are the PendingLines). */
  rollup: SessionRollup | null;
  /** Batches ready to send before the pending rows (rebuilt on recovery). */
  ready: Batch[];
  /** Rows parked on disk during an outage (line tables, with the log on). */
  spill: SpillQueue | null;
  inflight: Promise<void> | null;
  inflightBytes: number;
  inflightRows: number;
}

/** Rough JSON size of one rollup row, for queue accounting. */
const ROLLUP_ROW_BYTES = 320;

/** A new, empty queue for `table`. */
export function newTableQueue(table: StoreTable, spill: SpillQueue | null): TableState {
  return { ...emptyPendingLines(), rollup: newRollup(table), ready: [], spill, inflight: null, inflightBytes: 0, inflightRows: 0 };
}

/** Rows queued in the table (pending, ready and spilled). */
export function pendingRows(s: TableState): number {
  let n = s.rollup !== null ? s.rollup.size : s.rows;
  for (const b of s.ready) n += b.rows;
  if (s.spill !== null) n += s.spill.rows;
  return n;
}

/** Bytes queued in memory for the table (pending and ready). */
export function pendingBytes(s: TableState): number {
  let n = s.rollup !== null ? s.rollup.size * ROLLUP_ROW_BYTES : s.bytes;
  for (const b of s.ready) n += b.bytes;
  return n;
}

/**
 * Cuts the table's next batch: a ready one first, else the pending rows (at most `maxBytes` of whole writes for a line
 * table), with its dedup token; null when nothing is pending (the writes' keys are then handed to `settle`).
 */
export function cutBatch(table: StoreTable, s: TableState, maxBytes: number, settle: (keys: readonly string[]) => void): Batch | null {
  const ready = s.ready.shift();
  if (ready !== undefined) return ready;
  let body: Buffer;
  let rows: number;
  let bytes: number;
  let keys: string[];
  const hash = createHash('sha256').update(table).update('\n');
  if (s.rollup !== null) {
    const rollupRows = s.rollup.rows();
    rows = rollupRows.length;
    bytes = pendingBytes(s);
    body = linesBuffer(rollupRows.map((r) => rowLine(table, r)));
    // The rollup rows carry no session ids: two different batches can sum to identical rows, so
    // the token also covers which session writes were summed (a true replay has the same ones).
    for (const k of s.keys) hash.update(k).update('\n');
    s.rollup = newRollup(table);
    keys = s.keys;
    s.keys = [];
  } else {
    ({ body, rows, bytes, keys } = takeWrites(s, maxBytes));
  }
  if (rows === 0) {
    settle(keys);
    return null;
  }
  // Content hash, not a sequence: a retry reuses it. With the log on, the token and the batch's write keys
  // are logged before the insert, and recovery rebuilds exactly this batch under this token.
  const id = hash.update(body).digest('hex').slice(0, 32);
  return { table, body, rows, bytes, id, keys, logged: false };
}
