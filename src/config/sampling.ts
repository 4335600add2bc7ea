/** Config section: sampling policies and the decision cache (src/sampling/). Extended by the sampling stage. */
import { z } from 'zod';

export const samplingSchema = z.object({
  /** Share of ordinary sessions kept by the deterministic baseline (0..1). */
  baselineRate: z.number().min(0).max(1).default(0.05),
  decisionCache: z
    .object({
      /** How long a decision outlives its session in the buffer. */
      ttlMs: z.number().int().positive().default(30 * 60_000), // 30 min
      maxEntries: z.number().int().positive().default(1_000_000),
    })
    .prefault({}),
});
export type SamplingConfig = z.infer<typeof samplingSchema>;
