/** Config section: the write-ahead log (src/durability/wal/). Extended by the durability stage. */
import { z } from 'zod';

export const walSchema = z.strictObject({
  /** `fsync`: fsync every group commit before answering (default, safe); `batch`: fsync on a timer; `off`: no log. */
  durability: z.enum(['fsync', 'batch', 'off']).default('fsync'),
  /** Segment directory; `<dataDir>/wal` when not set. */
  dir: z.string().optional(),
  /** A segment rolls over past this size; release deletes whole segments. */
  segmentBytes: z.number().int().min(4096).default(64 * 1024 * 1024),
  /** Appends are refused (retryable AGT_ERR_WAL_FULL) past this total. */
  maxDiskBytes: z.number().int().min(4096).default(10 * 1024 * 1024 * 1024),
  /** Concurrent appends within this window share one write + fsync. */
  groupCommitMs: z.number().min(0).max(100).default(2),
  /** Written segments are kept this long so dropped sessions can be upgraded from raw requests. */
  retentionMs: z.number().int().min(0).default(15 * 60 * 1000),
  /** How often the log records how far it is settled and deletes released segments. */
  checkpointIntervalMs: z.number().int().min(10).default(5_000),
});
export type WalConfig = z.infer<typeof walSchema>;
