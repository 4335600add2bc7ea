/** The whole collector process: log, store, sampling, session buffer and receivers, with recovery and graceful shutdown. */
import { join } from 'node:path';
import { Collector, createRegistry } from './app.js';
import { costsRoutes } from './api/costs-route.js';
import { residencyRoutes } from './api/residency-route.js';
import { evalRoutes } from './api/evals-route.js';
import { repriceRoutes } from './api/reprice-route.js';
import { sessionsRoutes } from './api/sessions-route.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { DecisionCache } from './sampling/decision-cache.js';
import { DecisionEngine } from './sampling/engine.js';
import { Durability, type RecoveryReport } from './sessions/durability.js';
import { SessionBuffer } from './sessions/session-buffer.js';
import { ClickHouseStore } from './store/clickhouse-store.js';

export interface RunningServer {
  grpcPort: number | null;
  httpPort: number | null;
  collector: Collector;
  buffer: SessionBuffer;
  store: ClickHouseStore;
  /** The write-ahead log stage; null when `wal.durability` is `off`. */
  durability: Durability | null;
  /** What recovery replayed on start (null without the log). */
  recovery: RecoveryReport | null;
  /** Stops accepting, decides open sessions, flushes the store; idempotent. */
  shutdown(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const registry = createRegistry();
  const w = config.wal;
  const durability =
    w.durability === 'off'
      ? null
      : await Durability.open({
          dir: w.dir ?? join(config.dataDir, 'wal'),
          durability: w.durability,
          segmentBytes: w.segmentBytes,
          maxDiskBytes: w.maxDiskBytes,
          groupCommitMs: w.groupCommitMs,
          retentionMs: w.retentionMs,
          checkpointIntervalMs: w.checkpointIntervalMs,
          log: log.child({ component: 'wal' }),
          registry,
        });
  const journal = durability ?? undefined;
  // While ClickHouse is down, pending rows spill next to the log, against the log's own disk cap.
  const spill = durability === null ? undefined : { dir: join(w.dir ?? join(config.dataDir, 'wal'), 'spill'), budget: durability.spillBudget };
  const store = await ClickHouseStore.open(config.store, log.child({ component: 'store' }), { registry, ...(journal && spill ? { journal, spill } : {}) });
  const engine = new DecisionEngine({ config: config.sampling, residency: config.residency, registry, log: log.child({ component: 'sampling' }) });
  const cache = new DecisionCache({ ttlMs: config.sampling.decisionCache.ttlMs, maxEntries: config.sampling.decisionCache.maxEntries });
  const buffer = new SessionBuffer({ config: config.sessions, engine, cache, store, registry, log: log.child({ component: 'sessions' }), ...(journal ? { journal } : {}) });
  const collector: Collector = new Collector({
    config,
    log,
    sink: buffer,
    registry,
    onMemoryPressure: (over) => {
      buffer.setMemoryPressure(over);
      store.setMemoryPressure(over);
    },
    checks: {
      store: () => ({ ok: true, degraded: !store.hasCapacity(), detail: store.hasCapacity() ? 'ok' : 'writer queues full' }),
      ...(durability ? { wal: () => durability.health() } : {}),
    },
    routes: [
      async (app) => {
        await app.register(evalRoutes({ sink: buffer, authenticate: (c) => collector.auth.authenticate(c) }));
        await app.register(sessionsRoutes({ client: store.client, database: store.database, auth: collector.auth }));
        await app.register(costsRoutes({ client: store.client, database: store.database, auth: collector.auth }));
        await app.register(residencyRoutes({ client: store.client, database: store.database, auth: collector.auth, residency: config.residency }));
        await app.register(repriceRoutes({ client: store.client, database: store.database, auth: collector.auth, pricer: collector.pricer }));
      },
    ],
  });
  // Recovery runs before anything is accepted: the buffer and the store must hold what the log says first.
  const recovery = durability === null ? null : await durability.recover(buffer, store, collector.decoder);
  durability?.start(buffer, store);
  buffer.start();
  const { grpcPort, httpPort } = await collector.start();

  let shuttingDown: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      log.info('shutting down: refusing new data, deciding open sessions, flushing the store');
      await collector.stop(Math.min(5_000, config.shutdownTimeoutMs));
      await buffer.drain('shutdown');
      // With the log, writes ClickHouse cannot take before the deadline stay in the log for the next start.
      const flushed = await Promise.race([store.flush().then(() => true), sleep(Math.max(0, deadline - Date.now() - 500)).then(() => false)]);
      if (!flushed) log.warn({ outstandingWrites: store.outstandingWrites }, 'store not flushed before the shutdown deadline; unwritten data stays in the log');
      await durability?.close();
      await store.close(flushed ? undefined : { abandon: true });
      log.info('shutdown complete');
    })();
    return shuttingDown;
  };
  return { grpcPort, httpPort, collector, buffer, store, durability, recovery, shutdown };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
