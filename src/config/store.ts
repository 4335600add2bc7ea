/** Config section: ClickHouse storage (src/store/). */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

/** Where the embedded store lives: `path` as given when absolute, else under `dataDir` (one root for the log and the store). */
export function resolveStorePath(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : join(dataDir, path);
}

export const storeSchema = z.strictObject({
  /** `embedded`: chDB in-process with data in `path` (default). `server`: ClickHouse over HTTP. */
  kind: z.enum(['embedded', 'server']).default('embedded'),
  /**
   * Data directory of the embedded engine: absolute as given, relative under `dataDir` (so the store follows dataDir
   * like the log does, whatever the working directory); the loaded config holds the resolved path.
   */
  path: z.string().min(1).default('clickhouse'),
  server: z
    .strictObject({
      url: z.string().url().default('http://localhost:8123'),
      username: z.string().default('default'),
      password: z.string().default(''),
      database: z.string().default('agenttail'),
      requestTimeoutMs: z.number().int().positive().default(30_000),
      compression: z.boolean().default(true),
    })
    .prefault({}),
  /** Database holding agenttail's tables (a plain identifier; spliced into DDL). */
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a plain identifier ([A-Za-z_][A-Za-z0-9_]*)')
    .default('agenttail'),
  /** Rows per table that trigger an insert (ClickHouse likes ~10k-row blocks). */
  batchRows: z.number().int().positive().default(10_000),
  /** JSON bytes per table that trigger an insert. */
  batchBytes: z.number().int().positive().default(8 * 1024 * 1024),
  /** Longest a queued row waits before its table is flushed. */
  flushIntervalMs: z.number().int().positive().default(1000),
  /** Bytes queued or in flight above which writes are refused (AGT_ERR_WRITER_BACKPRESSURE). */
  maxQueueBytes: z.number().int().positive().default(256 * 1024 * 1024),
  /**
   * Memory one embedded insert may take (`max_memory_usage` on the INSERT, src/store/insert-budget.ts). `auto`: 10 % of
   * receive.overload.maxRssBytes (at least 32 MiB) when a memory cap is on, else none; 0 = none. Ignored for a server.
   */
  insertMaxMemoryBytes: z.union([z.literal('auto'), z.number().int().min(0)], { error: 'expected "auto" or a whole number of bytes ≥ 0 (0 = none)' }).default('auto'),
  /** Inserts in flight at once against a server (the embedded engine always uses 1). */
  maxConcurrentInserts: z.number().int().positive().default(4),
  retry: z
    .strictObject({
      initialMs: z.number().int().positive().default(200),
      maxMs: z.number().int().positive().default(30_000),
      /** Attempts per batch (first included); after that the batch is dropped and counted. */
      maxAttempts: z.number().int().positive().default(12),
    })
    .prefault({}),
});
export type StoreConfig = z.infer<typeof storeSchema>;
