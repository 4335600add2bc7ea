/** The whole collector process: store, sampling, session buffer and receivers, with graceful shutdown. */
import { Collector, createRegistry } from './app.js';
import { costsRoutes } from './api/costs-route.js';
import { evalRoutes } from './api/evals-route.js';
import { repriceRoutes } from './api/reprice-route.js';
import { sessionsRoutes } from './api/sessions-route.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { DecisionCache } from './sampling/decision-cache.js';
import { DecisionEngine } from './sampling/engine.js';
import { SessionBuffer } from './sessions/session-buffer.js';
import { ClickHouseStore } from './store/clickhouse-store.js';

export interface RunningServer {
  grpcPort: number | null;
  httpPort: number | null;
  collector: Collector;
  buffer: SessionBuffer;
  store: ClickHouseStore;
  /** Stops accepting, decides open sessions, flushes the store; idempotent. */
  shutdown(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const registry = createRegistry();
  const store = await ClickHouseStore.open(config.store, log.child({ component: 'store' }), { registry });
  const engine = new DecisionEngine({ config: config.sampling, registry, log: log.child({ component: 'sampling' }) });
  const cache = new DecisionCache({ ttlMs: config.sampling.decisionCache.ttlMs, maxEntries: config.sampling.decisionCache.maxEntries });
  const buffer = new SessionBuffer({ config: config.sessions, engine, cache, store, registry, log: log.child({ component: 'sessions' }) });
  buffer.start();
  const collector: Collector = new Collector({
    config,
    log,
    sink: buffer,
    registry,
    checks: {
      store: () => ({ ok: true, degraded: !store.hasCapacity(), detail: store.hasCapacity() ? 'ok' : 'writer queues full' }),
    },
    routes: [
      async (app) => {
        await app.register(evalRoutes({ sink: buffer, authenticate: (c) => collector.auth.authenticate(c) }));
        await app.register(sessionsRoutes({ client: store.client, database: store.database, auth: collector.auth }));
        await app.register(costsRoutes({ client: store.client, database: store.database, auth: collector.auth }));
        await app.register(repriceRoutes({ client: store.client, database: store.database, auth: collector.auth, pricer: collector.pricer }));
      },
    ],
  });
  const { grpcPort, httpPort } = await collector.start();

  let shuttingDown: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      log.info('shutting down: refusing new data, deciding open sessions, flushing the store');
      await collector.stop(Math.min(5_000, config.shutdownTimeoutMs));
      await buffer.drain('shutdown');
      await store.flush();
      await store.close();
      log.info('shutdown complete');
    })();
    return shuttingDown;
  };
  return { grpcPort, httpPort, collector, buffer, store, shutdown };
}
