/** Row keys of the rollups (src/store/usage-rollup.ts, provider-rollup.ts): their stable order, and the last row a span went to. */

/**
 * One text part of a rollup row's lookup key: its length, a colon, the text. Parts written this way one after the
 * other read back in one way only, so two rows share a key only when every part is equal, whatever the texts hold
 * (a separator could occur in a name). Cheaper per span than the JSON of the parts the rows are ordered by.
 */
export function keyPart(text: string): string {
  return `${text.length}:${text}`;
}

/**
 * A rollup's accumulated rows in the order of the JSON text of their key fields (`orderKey`), so a batch rebuilt from
 * the same writes is identical. The JSON is written here, once per row, not per span.
 */
export function inKeyOrder<T>(rows: Iterable<T>, orderKey: (row: T) => readonly (string | number)[]): T[] {
  const keyed: { key: string; row: T }[] = [];
  for (const row of rows) keyed.push({ key: JSON.stringify(orderKey(row)), row });
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.row);
}

/**
 * A row a rollup counted a recent span in, with that span's time bucket [fromNs, toNs): spans of a session mostly go
 * to one of a few rows (a session alternates between its models), so a span is compared with those field by field
 * before a key is built.
 */
export interface LastRow<A> {
  acc: A;
  fromNs: bigint;
  toNs: bigint;
}

/** How many recent rows a rollup compares a span with before it builds the span's key. */
export const RECENT_ROWS = 4;

/**
 * The rows a rollup counted its last spans in, at most RECENT_ROWS of them, the oldest replaced first. A rollup
 * scans `rows` with its own field comparisons (no closure per span) and calls `remember` after a key lookup.
 */
export class RecentRows<R extends LastRow<unknown>> {
  readonly rows: R[] = [];
  private next = 0;

  /** Adds `row`, replacing the oldest when full. */
  remember(row: R): void {
    if (this.rows.length < RECENT_ROWS) this.rows.push(row);
    else this.rows[this.next] = row;
    this.next = (this.next + 1) % RECENT_ROWS;
  }
}

/**
 * The start of bucket `index` (ns / bucketNs) for a span at `ns`; null for a negative time, whose bigint division
 * rounds toward zero so the range is not its bucket (OTLP times are unsigned: never in practice).
 */
export function bucketStart(ns: bigint, index: bigint, bucketNs: bigint): bigint | null {
  return ns < 0n ? null : index * bucketNs;
}

/** True when `ns` is in the row's time bucket. */
export function inBucket(last: LastRow<unknown>, ns: bigint): boolean {
  return ns >= last.fromNs && ns < last.toNs;
}
