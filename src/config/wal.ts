/** Config section: the write-ahead log (src/sessions/wal*). Extended by the durability stage. */
import { z } from 'zod';

export const walSchema = z.object({
  /** `fsync`: fsync every group commit before answering (default, safe); `batch`: fsync on a timer; `off`: no log. */
  durability: z.enum(['fsync', 'batch', 'off']).default('fsync'),
  dir: z.string().default('./data/wal'),
  /** A segment rolls over past this size; release deletes whole segments. */
  segmentBytes: z.number().int().min(4096).default(64 * 1024 * 1024),
  /** Appends are refused (retryable AGT_ERR_WAL_FULL) past this total. */
  maxDiskBytes: z.number().int().min(4096).default(10 * 1024 * 1024 * 1024),
  /** Concurrent appends within this window share one write + fsync. */
  groupCommitMs: z.number().min(0).max(100).default(2),
  /** Written segments are kept this long so dropped sessions can be upgraded from raw requests. */
  retentionMs: z.number().int().min(0).default(60 * 60 * 1000),
});
export type WalConfig = z.infer<typeof walSchema>;
