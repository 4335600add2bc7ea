/** Stable row order of the rollups (src/store/usage-rollup.ts, provider-rollup.ts). */
/** A rollup's accumulated rows in the order of their keys, so a batch rebuilt from the same writes is identical. */
export function inKeyOrder<T>(acc: ReadonlyMap<string, T>): T[] {
  return [...acc.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}
