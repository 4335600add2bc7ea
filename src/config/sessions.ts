/** Config section: the session buffer (src/sessions/). Extended by the sessions stage. */
import { z } from 'zod';

export const sessionLimitsSchema = z.strictObject({
  /** Decide a session this long after its last span arrived (and its root spans ended). */
  idleTimeoutMs: z.number().int().positive().optional(),
  /** Decide a session at this age whatever happens. */
  maxSessionAgeMs: z.number().int().positive().optional(),
  /** Decide a session once it holds this many spans. */
  maxSpansPerSession: z.number().int().positive().optional(),
  /** Decide a session once it holds this many bytes. */
  maxBytesPerSession: z.number().int().positive().optional(),
});

export const sessionsSchema = z.strictObject({
  idleTimeoutMs: z.number().int().positive().default(5_000), // 5 s
  maxSessionAgeMs: z.number().int().positive().default(10 * 60_000), // 10 min
  maxSpansPerSession: z.number().int().positive().default(20_000),
  maxBytesPerSession: z.number().int().positive().default(32 * 1024 * 1024), // 32 MiB
  /** Whole-buffer memory bound, accounted per span. */
  maxBufferBytes: z.number().int().positive().default(512 * 1024 * 1024), // 512 MiB
  /** Past this share of maxBufferBytes the oldest sessions are decided early (`early:memory`). */
  softLimitRatio: z.number().gt(0).max(1).default(0.8),
  /** How often the one sweep looks for idle / old sessions (no timer per session). */
  sweepIntervalMs: z.number().int().positive().default(250),
  /** The delay a client is told to wait when the buffer is at its hard limit. */
  retryAfterMs: z.number().int().positive().default(1_000),
  /**
   * Memory of what decided sessions counted (span identities, src/sessions/counted-spans.ts), so a re-delivered span
   * is counted once after its session is decided; past this the least recently counted sessions are forgotten (counted).
   */
  countedSpansMaxBytes: z.number().int().positive().default(64 * 1024 * 1024), // 64 MiB ≈ 2.5 M spans in sessions of 16, 7 M in sessions of 200
  /**
   * Hold buffered spans lean until their session is kept (write-ahead log on, protobuf requests): attributes but the
   * keys decisions read, events and links stay in the log and are read back for kept sessions only. About half the
   * heap per buffered span (~850 against ~1,560 bytes on the e2e traffic) for ~3 % more CPU per span
   * (docs/durability.md, "Spans held lean until kept"). false: spans are held whole.
   */
  leanSpans: z.boolean().default(true),
  /** Per-tenant overrides of the session limits above. */
  tenants: z.record(z.string(), sessionLimitsSchema).default({}),
});
export type SessionsConfig = z.infer<typeof sessionsSchema>;
