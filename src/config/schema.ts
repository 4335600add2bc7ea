/** The one configuration schema of the collector (STYLE.md 10): sections live beside this file. */
import { z } from 'zod';
import { receiveSchema } from './receive.js';
import { conventionsSchema, pricingSchema } from './pricing.js';
import { residencySchema } from './residency.js';
import { sessionsSchema } from './sessions.js';
import { samplingSchema } from './sampling.js';
import { sharedSchema } from './shared.js';
import { resolveStorePath, storeSchema } from './store.js';
import { walSchema } from './wal.js';
import { logsSchema } from './logs.js';
import { redactionReadsIssues, redactionSchema } from './redaction.js';

export const configSchema = z
  .strictObject({
    /** pino log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Root of everything the collector writes (embedded store, WAL) unless a section says otherwise. */
    dataDir: z.string().default('./data'),
    receive: receiveSchema.prefault({}),
    conventions: conventionsSchema.prefault({}),
    pricing: pricingSchema.prefault({}),
    sessions: sessionsSchema.prefault({}),
    sampling: samplingSchema.prefault({}),
    /** Sampling state shared through ClickHouse: warm start and shared decisions (src/config/shared.ts). */
    shared: sharedSchema.prefault({}),
    /** Data-residency policy per tenant: the `residency` keep policy and the residency report. */
    residency: residencySchema.prefault({}),
    store: storeSchema.prefault({}),
    wal: walSchema.prefault({}),
    /** OTLP log records: joining sessions, untraced records, holding limits. */
    logs: logsSchema.prefault({}),
    /** Redaction before the write-ahead log: built-in patterns, drop / mask / hash rules per tenant (docs/redaction.md). */
    redaction: redactionSchema.prefault({}),
    /** How long graceful shutdown may take before the process exits anyway. */
    shutdownTimeoutMs: z.number().int().positive().default(15_000),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.receive.grpc.enabled && cfg.receive.http.enabled && cfg.receive.grpc.port !== 0 && cfg.receive.grpc.port === cfg.receive.http.port) {
      ctx.addIssue({ code: 'custom', path: ['receive', 'http', 'port'], message: `must differ from receive.grpc.port (${cfg.receive.grpc.port})` });
    }
    const hashes = new Set<string>();
    cfg.receive.keys.forEach((k, i) => {
      if (hashes.has(k.sha256)) ctx.addIssue({ code: 'custom', path: ['receive', 'keys', i, 'sha256'], message: 'duplicate key hash' });
      hashes.add(k.sha256);
    });
    for (const issue of redactionReadsIssues(cfg.redaction, { sessionPrecedence: cfg.conventions.sessionPrecedence, samplingRules: cfg.sampling.rules })) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
  })
  // The embedded store lives under dataDir unless its path is absolute (see store.path).
  .transform((cfg) => ({ ...cfg, store: { ...cfg.store, path: resolveStorePath(cfg.dataDir, cfg.store.path) } }));

export type Config = z.infer<typeof configSchema>;
/** What a user writes: every field optional. */
export type ConfigInput = z.input<typeof configSchema>;
