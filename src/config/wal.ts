/** Config section: the write-ahead log (src/sessions/wal*). Extended by the durability stage. */
import { z } from 'zod';

export const walSchema = z.object({
  /** `fsync`: fsync every group commit before answering (default, safe); `batch`: fsync on a timer; `off`: no log. */
  durability: z.enum(['fsync', 'batch', 'off']).default('fsync'),
  dir: z.string().default('./data/wal'),
});
export type WalConfig = z.infer<typeof walSchema>;
