/**
 * The rows a line table has pending, by write: which lines each write added, so a batch can be cut between writes.
 * A batch must hold whole writes (the log records a batch as its token and write keys, and recovery rebuilds exactly
 * those writes), so a cut never splits one write's rows. Under memory pressure the store cuts batches at a size
 * whose insert fits under the memory cap: rows that piled up behind held inserts would otherwise go as one large
 * batch (bench/e2e.ts at a 600 MB cap: a 12 MB queue sent as one insert lifted RSS 542 → 680 MB).
 */

/** A line table's pending rows. */
export interface PendingLines {
  /** Each row's text, without its newline. */
  lines: string[];
  /** Σ of the rows' lengths + 1 (their newlines). */
  bytes: number;
  /** Keys of the writes with rows pending, in order. */
  keys: string[];
  /** For each key, the index in `lines` just past that write's rows. */
  ends: number[];
}

/** Records that the write `key` added the lines up to the current end. */
export function markWrite(p: PendingLines, key: string): void {
  p.keys.push(key);
  p.ends.push(p.lines.length);
}

/** Removes and returns the oldest whole writes whose lines fit in `maxBytes` (at least one write); all when maxBytes is Infinity. */
export function takeWrites(p: PendingLines, maxBytes: number): { lines: string[]; bytes: number; keys: string[] } {
  let k = p.keys.length;
  let bytes = p.bytes;
  if (bytes > maxBytes && k > 1) {
    bytes = 0;
    let line = 0;
    k = 0;
    while (k < p.keys.length) {
      let writeBytes = 0;
      for (let i = line; i < p.ends[k]!; i++) writeBytes += p.lines[i]!.length + 1;
      if (k > 0 && bytes + writeBytes > maxBytes) break;
      bytes += writeBytes;
      line = p.ends[k]!;
      k++;
    }
  }
  const lineCut = k === p.keys.length ? p.lines.length : p.ends[k - 1]!;
  const taken = { lines: p.lines.slice(0, lineCut), bytes, keys: p.keys.slice(0, k) };
  p.lines = p.lines.slice(lineCut);
  p.keys = p.keys.slice(k);
  p.ends = p.ends.slice(k).map((e) => e - lineCut);
  p.bytes -= bytes;
  return taken;
}
