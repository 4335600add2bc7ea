/** Config section: OTLP log records (src/logs/): how records join sessions and what happens to the rest. */
import { z } from 'zod';

export const logsSchema = z
  .object({
    /**
     * Records with neither a trace id nor a session attribute belong to no agent session, so no sampling decision
     * applies to them: `store` keeps them (SessionId ''), `drop` counts and discards them. Default `store`: they
     * are the service's own logs (errors included), which a collector should not lose silently.
     */
    untraced: z.enum(['store', 'drop']).default('store'),
    /**
     * How long a record waits for its trace's or session's decision when the spans have not been seen (or are still
     * open). Past it the record is treated as untraced. Default 11 min: longer than sessions.maxSessionAgeMs (10 min).
     */
    holdMs: z.number().int().positive().default(11 * 60_000), // 11 min
    /** Bytes of held records (wire size) above which log requests are refused, retryably. */
    maxHeldBytes: z.number().int().positive().default(64 * 1024 * 1024), // 64 MiB
    /**
     * Accounted bytes of the identities of records seen (48 B each, 300 B per trace or session), so a record delivered
     * again is stored and counted once; past it the least recently seen traces are forgotten (src/logs/seen-records.ts).
     */
    seenMaxBytes: z.number().int().positive().default(32 * 1024 * 1024), // 32 MiB ≈ 650 K records
  })
  .strict();
export type LogsConfig = z.infer<typeof logsSchema>;
