/**
 * One table's queue in the store (one job each: this file holds the queue and cuts its batches): rows pending by
 * write (line tables) or a rollup folding whole writes (rollup tables), batches ready to send first (rebuilt on
 * recovery), rows spilled to disk during an outage, and the insert in flight.
 */
import { createHash } from 'node:crypto';
import { emptyPendingLines, takeWrites, type PendingLines } from './pending-lines.js';
import { newRollup, type SessionRollup } from './rollups.js';
import type { SpillQueue } from './spill-queue.js';
import type { StoreTable } from './tables.js';

/** One insert: a table's rows as JSONEachRow text, its dedup token and the write keys it holds. */
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
    body = linesBuffer(rollupRows.map((r) => JSON.stringify(r)));
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

/**
 * A rollup table's batch body: each row's UTF-8 bytes and a newline, written one by one into one Buffer. Joining them first made one
 * more copy of the batch, a string of up to `batchBytes` (twice that in UTF-16) in the V8 heap, per batch. The Buffer
 * is sized for ASCII text (a byte a UTF-16 unit), so no pass counts the bytes first; a row that is not ASCII writes
 * more bytes than its length (4 bytes to spare make sure of that even when it does not fit), and the rows from it on
 * are then counted and written into a Buffer of their exact size.
 */
export function linesBuffer(rows: readonly string[]): Buffer {
  let units = 0;
  for (const row of rows) units += row.length + 1;
  const body = Buffer.allocUnsafe(units + 4);
  let at = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (body.write(row, at, 'utf8') !== row.length) return withRowsCounted(rows, i, body, at);
    at += row.length;
    body[at++] = NEWLINE;
  }
  return body.subarray(0, at);
}

const NEWLINE = 0x0a;

/** The body whose first `headBytes` (rows before `from`, all ASCII) are in `head`, the rest counted exactly. */
function withRowsCounted(rows: readonly string[], from: number, head: Buffer, headBytes: number): Buffer {
  let size = headBytes;
  for (let i = from; i < rows.length; i++) size += Buffer.byteLength(rows[i]!, 'utf8') + 1;
  const body = Buffer.allocUnsafe(size);
  head.copy(body, 0, 0, headBytes);
  let at = headBytes;
  for (let i = from; i < rows.length; i++) {
    at += body.write(rows[i]!, at, 'utf8');
    body[at++] = NEWLINE;
  }
  return body;
}
