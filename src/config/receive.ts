/** Config section: receivers, tenants and quotas (src/receive/). */
import { constants as http2 } from 'node:http2';
import { z } from 'zod';

export const tenantKeySchema = z.strictObject({
  /** sha256 of the API key, hex. Generate with `agenttail hash-key <key>`. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a 64-char lowercase hex sha256'),
  /** Tenant this key writes to and reads from. */
  tenant: z.string().min(1).max(128),
  /** A trusted gateway may set the tenant per resource with the `tenant.id` resource attribute. */
  trustedGateway: z.boolean().default(false),
  /** An admin key reads every tenant's costs and sessions. */
  admin: z.boolean().default(false),
});

export const quotaSchema = z.strictObject({
  /** Spans per second per tenant (token bucket, burst = 2 s worth). 0 = unlimited. */
  spansPerSecond: z.number().nonnegative().default(0),
  /** Request bytes per second per tenant (wire bytes). 0 = unlimited. */
  bytesPerSecond: z.number().nonnegative().default(0),
});

export const receiveSchema = z.strictObject({
  grpc: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Interface to bind: loopback by default, as the OpenTelemetry Collector does; `0.0.0.0` to accept from other hosts (the Docker image sets it). */
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(4317),
      /** Largest accepted gRPC message, decompressed. */
      maxMessageBytes: z.number().int().positive().default(16 * 1024 * 1024), // 16 MiB
      /**
       * HTTP/2 receive window of each call: how many bytes of one request a client may send before the receiver has
       * read them. HTTP/2's default (65,535) makes a ~500 KiB request wait for ~8 round trips (src/receive/grpc-flow-control.ts).
       */
      streamWindowBytes: z.number().int().min(http2.DEFAULT_SETTINGS_INITIAL_WINDOW_SIZE).max(http2.MAX_INITIAL_WINDOW_SIZE).default(4 * 1024 * 1024), // 4 MiB
      /** HTTP/2 receive window of each connection: how many bytes of all its calls together may be in flight. */
      connectionWindowBytes: z.number().int().min(http2.DEFAULT_SETTINGS_INITIAL_WINDOW_SIZE).max(http2.MAX_INITIAL_WINDOW_SIZE).default(16 * 1024 * 1024), // 16 MiB
    })
    .prefault({}),
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Interface to bind: loopback by default; `0.0.0.0` to accept from other hosts (the Docker image sets it). */
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(4318),
      /** Largest accepted body, compressed and decompressed. */
      maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024), // 16 MiB
    })
    .prefault({}),
  /** API keys. Empty = open mode (tenant `default`, or the resource's `tenant.id`), with a warning at start. */
  keys: z.array(tenantKeySchema).default([]),
  /** Default per-tenant quota, and per-tenant overrides by tenant id. */
  quota: quotaSchema.prefault({}),
  tenantQuotas: z.record(z.string(), quotaSchema).default({}),
  /** Load shedding: Export requests are refused (retryable, before decoding) while the event loop lags or RSS is over the cap. */
  overload: z
    .strictObject({
      /** Lag limit in ms; 0 switches shedding off. */
      maxEventLoopLagMs: z.number().int().min(0).default(500),
      /**
       * The process RSS (bytes) to stay under: Export requests are refused from 80 % of it until RSS falls below 75 %;
       * 0 = off.
       * `auto` (the default) = 80 % of the cgroup memory limit (v2 `/sys/fs/cgroup/memory.max`, else v1
       * `/sys/fs/cgroup/memory/memory.limit_in_bytes`) when one is set, else off.
       */
      maxRssBytes: z
        .union([z.literal('auto'), z.number().int().min(0)], { error: 'expected "auto" or a whole number of bytes ≥ 0 (0 = off)' })
        .default('auto'),
      /** Retry delay suggested to refused clients. */
      retryAfterMs: z.number().int().positive().default(1000),
    })
    .prefault({}),
  /**
   * Worker threads that decode, normalize and price trace requests off the main thread (src/receive/decode-pool.ts).
   * `auto` (the default): the cores the process may use (`os.availableParallelism()`, or the cgroup CPU quota when
   * lower, rounded up) less two (one for the main thread, one for the embedded engine's threads and the collector's
   * GC helpers), at most 4; 0 = on the main thread.
   * On 2 cores that is 0: a worker there added CPU (encoding and rebuilding the spans) without adding throughput.
   */
  decodeWorkers: z
    .union([z.literal('auto'), z.number().int().min(0).max(64)], { error: 'expected "auto" or a whole number of workers from 0 to 64 (0 = decode on the main thread)' })
    .default('auto'),
  /** Structural limits applied while decoding. */
  limits: z
    .strictObject({
      maxAttributesPerSpan: z.number().int().positive().default(1024),
      maxAnyValueDepth: z.number().int().positive().default(16),
      maxStringBytes: z.number().int().positive().default(256 * 1024), // 256 KiB
      maxEventsPerSpan: z.number().int().positive().default(1024),
      maxSpansPerRequest: z.number().int().positive().default(100_000),
      maxPastMs: z.number().int().positive().default(30 * 24 * 3600 * 1000), // 30 days
      maxFutureMs: z.number().int().positive().default(24 * 3600 * 1000), // 1 day
    })
    .prefault({}),
});
export type ReceiveConfig = z.infer<typeof receiveSchema>;

/**
 * Refusing for memory starts at this share of the cap: requests already admitted, bodies of refused requests still
 * being received, and memory V8 and the store engine do not hand back at once keep RSS growing for a while after the
 * first refusal, so the cap itself is the line RSS must stay under. Measured at 2x overload under a 600 MiB cap
 * (`bench/buffered-rss.ts --phases cap`): up to ~71 MiB (12 % of the cap) past the line where refusals began, so the
 * line at 90 % let RSS reach 609-611 MiB in two runs of three. At 85 % it held in five runs of five, until decoding
 * got faster (spans held lean are decoded lean): then 100–115 MiB past the line, over the cap in three runs of six,
 * from what goes on after the load (a burst of decisions and their inserts, engine merges). At 80 % (a 20 % margin,
 * the OpenTelemetry Collector memory_limiter's default spike limit) RSS peaked at 550–590 MiB in three runs of three.
 */
export const RSS_REFUSE_RATIO = 0.8;
/** The RSS (bytes) from which Export requests are refused under a cap of `maxRssBytes`. */
export function rssRefuseFromBytes(maxRssBytes: number): number {
  return Math.floor(maxRssBytes * RSS_REFUSE_RATIO);
}

/** Most workers `decodeWorkers: auto` starts: past it, the main thread's share (buffering, deciding, storing) is the limit. */
export const AUTO_DECODE_WORKERS_MAX = 4;

/** The number of decode workers `decodeWorkers` asks for, on a machine with `cores` available to the process. */
export function decodeWorkerCount(setting: ReceiveConfig['decodeWorkers'], cores: number): number {
  if (setting !== 'auto') return setting;
  return Math.max(0, Math.min(AUTO_DECODE_WORKERS_MAX, cores - 2));
}
