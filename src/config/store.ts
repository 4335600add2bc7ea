/** Config section: ClickHouse storage (src/store/). Extended by the storage stage. */
import { z } from 'zod';

export const storeSchema = z.object({
  /** `embedded`: chDB in-process with data in `path` (default). `server`: ClickHouse over HTTP. */
  kind: z.enum(['embedded', 'server']).default('embedded'),
  /** Data directory of the embedded engine. */
  path: z.string().default('./data/clickhouse'),
  server: z
    .object({
      url: z.string().url().default('http://localhost:8123'),
      username: z.string().default('default'),
      password: z.string().default(''),
      database: z.string().default('agenttail'),
      requestTimeoutMs: z.number().int().positive().default(30_000),
      compression: z.boolean().default(true),
    })
    .prefault({}),
  database: z.string().default('agenttail'),
});
export type StoreConfig = z.infer<typeof storeSchema>;
