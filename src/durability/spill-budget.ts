/**
 * Disk for the store's spilled rows, shared with the log's cap (docs/durability.md): requests are refused once
 * segments + spill reach the cap; the spill may use a reserve above it, so rows of data already accepted can always
 * be parked. The durability stage owns the cap; the store's spill queues (src/store/spill-queue.ts) count against it.
 */
export interface SpillBudget {
  /** Bytes the spill queues hold on disk. */
  used: number;
  /** Bytes they may hold at most (the cap and its reserve, less the log's segments). */
  readonly max: number;
}
