/**
 * Config section: sampling state shared through ClickHouse (warm start from stored sessions, decisions shared between
 * instances). See docs/sampling.md ("Warm start", "Shared decisions") and the README's scale-out section.
 */
import { z } from 'zod';

export const sharedSchema = z
  .object({
    /**
     * This instance's name in the decisions table (letters, digits, `_ . -`; null: host name + process id + a random
     * suffix, new at every start). Instances never read back their own rows.
     */
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, _ . - only (1-128)')
      .nullable()
      .default(null),
    /** Seeds the cost/latency quantiles and rare-path counts from the sessions table at start and periodically. */
    warmStart: z
      .object({
        enabled: z.boolean().default(true),
        /** Only sessions that started within this window before now are read. */
        windowMs: z.number().int().positive().default(24 * 60 * 60_000), // 24 h
        /** At most this many tenant + agent keys (the most recently seen) are seeded per run. */
        maxKeys: z.number().int().positive().default(10_000),
        /** Stored sessions read per key (the most recent). */
        sessionsPerKey: z.number().int().positive().default(200),
        /** Stored sessions read per run over all keys (bounds memory and the query). */
        maxRows: z.number().int().positive().default(200_000),
        /** How often keys still cold here (fewer sessions than the warm-up) are seeded again from the store. */
        refreshIntervalMs: z.number().int().positive().default(5 * 60_000), // 5 min
        /** Start waits at most this long for the first seeding, then continues cold (the seeding finishes in the background). */
        startTimeoutMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
    /** Kept decisions written to and read from the `decisions` table, so split sessions are kept whole. */
    decisions: z
      .object({
        /** `auto`: on with a ClickHouse server (store.kind server), off with the embedded engine (one process only). */
        enabled: z.union([z.literal('auto'), z.boolean()]).default('auto'),
        /** How often kept decisions are published (one insert) and others' are read (one query per page). */
        intervalMs: z.number().int().positive().default(1_000),
        /**
         * A read takes only rows inserted more than this long ago (server clock), so an insert still becoming visible
         * is read by a later read, never skipped. Raise it on a cluster with asynchronous Distributed inserts.
         */
        settleMs: z.number().int().nonnegative().default(500),
        /** At start, read others' kept decisions back this far (sessions this instance may still hold dropped). */
        lookbackMs: z.number().int().nonnegative().default(10 * 60_000), // 10 min
        /** Rows per read query. */
        pageRows: z.number().int().positive().default(5_000),
        /** Read queries per interval at most (pageRows × this bounds the decisions followed per interval). */
        maxPagesPerPoll: z.number().int().positive().default(4),
        /** Kept decisions waiting to be published; past this they are dropped and counted. */
        maxPending: z.number().int().positive().default(100_000),
        /** Sessions remembered as seen (to skip the overlap's rows read again), least recently used forgotten. */
        maxSeen: z.number().int().positive().default(200_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type SharedConfig = z.infer<typeof sharedSchema>;
