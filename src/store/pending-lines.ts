/**
 * The rows a line table has pending, by write, as the batch body they will be: each row's line (row-format.ts) in UTF-8
 * and its newline, written into one growing Buffer as the row is queued, with which rows and bytes each write added,
 * so a batch can be cut between writes.
 *
 * Why bytes and not the rows' strings: a row waits up to the flush interval (1 s) before its insert, so its string
 * outlived two young-generation collections, was copied twice and promoted, and old-space marking then walked it; the
 * batch body was a second copy built from the strings at the cut (bench/alloc-profile.ts: the rows' text was ~1.1 KB
 * of the ~8.7 KB the main thread allocated per span). Now the string from `JSON.stringify` dies young, and the body
 * is handed to the insert as it is when the whole queue goes (the common case): no copy.
 *
 * A batch must hold whole writes (the log records a batch as its token and write keys, and recovery rebuilds exactly
 * those writes), so a cut never splits one write's rows. Under memory pressure the store cuts batches at a size
 * whose insert fits under the memory cap: rows that piled up behind held inserts would otherwise go as one large
 * batch (bench/e2e.ts at a 600 MB cap: a 12 MB queue sent as one insert lifted RSS 542 → 680 MB).
 */

/** A line table's pending rows. */
export interface PendingLines {
  /** The rows' bytes are `text[0, bytes)`; null while nothing is pending. */
  text: Buffer | null;
  /** Bytes pending: the rows' UTF-8 bytes and their newlines. */
  bytes: number;
  /** Rows pending. */
  rows: number;
  /** Keys of the writes with rows pending, in order. */
  keys: string[];
  /** For each key, the byte offset in `text` just past that write's rows. */
  ends: number[];
  /** For each key, the number of rows up to and including that write's. */
  rowEnds: number[];
}

/** No rows pending. */
export function emptyPendingLines(): PendingLines {
  return { text: null, bytes: 0, rows: 0, keys: [], ends: [], rowEnds: [] };
}

/** First size of a table's buffer; it doubles as rows come (a batch is at most `store.batchBytes`, 8 MiB by default). */
const FIRST_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** Queues one row: its JSON text (no newline) is written as UTF-8 with a newline after it. */
export function appendRow(p: PendingLines, row: string): void {
  // At most 3 UTF-8 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units), + the newline.
  const need = p.bytes + row.length * 3 + 1;
  let text = p.text;
  if (text === null || text.length < need) text = p.text = grown(text, p.bytes, need);
  const at = p.bytes + text.write(row, p.bytes, 'utf8');
  text[at] = NEWLINE;
  p.bytes = at + 1;
  p.rows++;
}

/** A buffer of at least `need` bytes holding the first `used` bytes of `old`. */
function grown(old: Buffer | null, used: number, need: number): Buffer {
  let size = old === null ? FIRST_BYTES : old.length * 2;
  while (size < need) size *= 2;
  // Not from the shared pool: the buffer lives as long as the queue does, and is handed to the insert whole.
  const text = Buffer.allocUnsafeSlow(size);
  if (old !== null) old.copy(text, 0, 0, used);
  return text;
}

/** Every pending row's bytes, a view of the buffer (not a copy): what spilling the whole queue writes. */
export function pendingBody(p: PendingLines): Buffer {
  return p.text === null ? Buffer.alloc(0) : p.text.subarray(0, p.bytes);
}

/** Forgets every pending row and write (all taken, or spilled). */
export function clearPending(p: PendingLines): void {
  Object.assign(p, emptyPendingLines());
}

/** Records that the write `key` added the rows up to the current end. */
export function markWrite(p: PendingLines, key: string): void {
  p.keys.push(key);
  p.ends.push(p.bytes);
  p.rowEnds.push(p.rows);
}

/** The oldest whole writes taken from the queue: their rows as one batch body. */
export interface TakenWrites {
  body: Buffer;
  rows: number;
  bytes: number;
  keys: string[];
}

/** Removes and returns the oldest whole writes whose rows fit in `maxBytes` (at least one write); all when maxBytes is Infinity. */
export function takeWrites(p: PendingLines, maxBytes: number): TakenWrites {
  const text = p.text;
  if (text === null) {
    // No rows: any keys (a write that added none) are handed back to be settled, as with rows.
    const keys = p.keys;
    clearPending(p);
    return { body: Buffer.alloc(0), rows: 0, bytes: 0, keys };
  }
  let k = p.keys.length;
  if (p.bytes > maxBytes && k > 1) {
    k = 1;
    while (k < p.keys.length && p.ends[k]! <= maxBytes) k++;
  }
  if (k === p.keys.length) {
    // Everything: the buffer itself is the body (the queue starts a new one).
    const taken = { body: text.subarray(0, p.bytes), rows: p.rows, bytes: p.bytes, keys: p.keys };
    clearPending(p);
    return taken;
  }
  const cut = p.ends[k - 1]!;
  const rows = p.rowEnds[k - 1]!;
  const body = Buffer.allocUnsafeSlow(cut);
  text.copy(body, 0, 0, cut);
  text.copyWithin(0, cut, p.bytes);
  const taken = { body, rows, bytes: cut, keys: p.keys.slice(0, k) };
  p.bytes -= cut;
  p.rows -= rows;
  p.keys = p.keys.slice(k);
  p.ends = p.ends.slice(k).map((e) => e - cut);
  p.rowEnds = p.rowEnds.slice(k).map((r) => r - rows);
  return taken;
}

/**
 * The batch body of `rows` (each row's line without its newline), written the way queued rows are: a rollup
 * table's rows are built at the cut, not queued, and go through the same encoder.
 */
export function linesBuffer(rows: readonly string[]): Buffer {
  const p = emptyPendingLines();
  for (let i = 0; i < rows.length; i++) appendRow(p, rows[i]!);
  return takeWrites(p, Infinity).body;
}
