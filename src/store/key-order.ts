/** Row keys of the rollups (src/store/usage-rollup.ts, provider-rollup.ts): their stable order, and the last row a span went to. */
/** A rollup's accumulated rows in the order of their keys, so a batch rebuilt from the same writes is identical. */
export function inKeyOrder<T>(acc: ReadonlyMap<string, T>): T[] {
  return [...acc.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/**
 * The row a rollup counted its last span in, with that span's time bucket [fromNs, toNs): spans of a session mostly
 * go to the same row, so the next one is compared with it field by field before a key is built.
 */
export interface LastRow<A> {
  acc: A;
  fromNs: bigint;
  toNs: bigint;
}

/**
 * The LastRow of `acc` for a span at `ns`, in bucket `index` (ns / bucketNs); null for a negative time, whose bigint
 * division rounds toward zero so the range is not its bucket (OTLP times are unsigned: never in practice).
 */
export function lastRow<A>(acc: A, ns: bigint, index: bigint, bucketNs: bigint): LastRow<A> | null {
  if (ns < 0n) return null;
  const fromNs = index * bucketNs;
  return { acc, fromNs, toNs: fromNs + bucketNs };
}

/** True when `ns` is in the last row's time bucket. */
export function inBucket(last: LastRow<unknown>, ns: bigint): boolean {
  return ns >= last.fromNs && ns < last.toNs;
}
