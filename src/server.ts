/** The whole collector process: log, store, sampling, session buffer and receivers, with recovery and graceful shutdown. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Collector, createRegistry } from './app.js';
import { costsRoutes } from './api/costs-route.js';
import { residencyRoutes } from './api/residency-route.js';
import { evalRoutes } from './api/evals-route.js';
import { repriceRoutes } from './api/reprice-route.js';
import { sessionsRoutes } from './api/sessions-route.js';
import type { Config } from './config/schema.js';
import { AgtError } from './errors.js';
import { loopbackNotice, shutdownBaseline, startupSummary } from './lifecycle-log.js';
import type { Logger } from './log.js';
import { LogJoiner } from './logs/log-joiner.js';
import { logsReadBack, logsReplay } from './logs/log-replay.js';
import type { LogRoute } from './logs/log-route.js';
import { metricsReplay } from './metrics/metric-replay.js';
import { MetricWriter } from './metrics/metric-writer.js';
import { DecisionCache } from './sampling/decision-cache.js';
import { DecisionEngine } from './sampling/engine.js';
import { Durability, type RecoveryReport } from './durability/durability.js';
import { NoopJournal, type Journal } from './durability/journal.js';
import { SessionBuffer } from './sessions/session-buffer.js';
import { sessionsReplay, spanReadBack, type DecodeLogged } from './sessions/session-replay.js';
import { resolveRssCap } from './receive/memory-limit.js';
import { ClickHouseStore } from './store/clickhouse-store.js';
import { insertBudgetBytes } from './store/insert-budget.js';
import { insertHoldFor } from './store/insert-hold.js';
import { SharedState } from './shared/shared-state.js';

export interface RunningServer {
  grpcPort: number | null;
  httpPort: number | null;
  collector: Collector;
  buffer: SessionBuffer;
  /** The logs stage: joins log records to sessions. */
  logs: LogJoiner;
  store: ClickHouseStore;
  /** The write-ahead log stage; null when `wal.durability` is `off`. */
  durability: Durability | null;
  /** What recovery replayed on start (null without the log). */
  recovery: RecoveryReport | null;
  /** Warm start and shared decisions (src/shared/). */
  shared: SharedState;
  /** Stops accepting, decides open sessions, flushes the store; idempotent. */
  shutdown(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const registry = createRegistry();
  const w = config.wal;
  const walDir = w.durability === 'off' ? null : (w.dir ?? join(config.dataDir, 'wal'));
  const durability =
    w.durability === 'off'
      ? null
      : await Durability.open({
          dir: walDir!,
          durability: w.durability,
          segmentBytes: w.segmentBytes,
          maxDiskBytes: w.maxDiskBytes,
          groupCommitMs: w.groupCommitMs,
          retentionMs: w.retentionMs,
          checkpointIntervalMs: w.checkpointIntervalMs,
          log: log.child({ component: 'wal' }),
          registry,
        });
  const journal: Journal = durability ?? new NoopJournal();
  // While ClickHouse is down, pending rows spill next to the log, against the log's own disk cap.
  const spill = durability === null ? undefined : { dir: join(walDir!, 'spill'), budget: durability.spillBudget };
  if (durability !== null) await refuseMissingStore(config, durability, walDir!);
  // The embedded engine's insert memory is budgeted under the process memory cap (src/store/insert-budget.ts).
  const rssCapBytes = resolveRssCap(config.receive.overload.maxRssBytes).bytes;
  const insertBudget = insertBudgetBytes(config.store, rssCapBytes);
  // Embedded inserts wait while RSS is at the refusal line (src/store/insert-hold.ts).
  const insertHold = insertHoldFor(config.store, rssCapBytes);
  const store = await ClickHouseStore.open({ config: config.store, log: log.child({ component: 'store' }), registry, insertBudgetBytes: insertBudget, ...(insertHold ? { insertHold } : {}), ...(durability && spill ? { journal: durability, spill } : {}) });
  const shared = new SharedState({ config, store, registry, log: log.child({ component: 'shared' }) });
  const engine = new DecisionEngine({
    config: config.sampling,
    residency: config.residency,
    registry,
    log: log.child({ component: 'sampling' }),
    // The cache detectors price missed cache reads with the spans' pricer (the collector's, built below; read only once sessions are decided).
    priceUsage: (p) => collector.pricer.priceUsage(p),
    keptElsewhere: shared.keptElsewhere,
  });
  const cache = new DecisionCache({ ttlMs: config.sampling.decisionCache.ttlMs, maxEntries: config.sampling.decisionCache.maxEntries });
  // Logged trace requests decoded as on arrival, by the receivers' decoder (the collector's, built below): recovery
  // and upgrades read them back through this one function.
  const decodeLogged: DecodeLogged = (r) => collector.decoder.spansOfLogged(r);
  const buffer = new SessionBuffer({
    config: config.sessions,
    engine,
    cache,
    store: shared.sessionStore,
    registry,
    log: log.child({ component: 'sessions' }),
    journal,
    readSpans: spanReadBack(journal, decodeLogged),
  });
  // The logs route is the collector's (built below); the closures read it only once requests flow.
  const logRoute = (): LogRoute => collector.logRoute;
  const logs = new LogJoiner({
    config: config.logs,
    cache,
    store,
    evals: buffer,
    registry,
    log: log.child({ component: 'logs' }),
    journal,
    readBack: logsReadBack(journal, logRoute),
  });
  // Metrics are not sampled: points go straight to their tables, logged like every request (src/metrics/).
  const metrics = new MetricWriter({ store, journal });
  const collector: Collector = new Collector({
    config,
    log,
    sink: buffer,
    logSink: logs,
    metricSink: metrics,
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
        await app.register(sessionsRoutes({ client: store.client, database: store.database, auth: collector.auth, canonicalModel: (m) => collector.pricer.canonicalModel(m) }));
        await app.register(costsRoutes({ client: store.client, database: store.database, auth: collector.auth }));
        await app.register(residencyRoutes({ client: store.client, database: store.database, auth: collector.auth, residency: config.residency }));
        await app.register(repriceRoutes({ client: store.client, database: store.database, auth: collector.auth, pricer: collector.pricer }));
      },
    ],
  });
  // Recovery runs before anything is accepted: the buffer and the store must hold what the log says first.
  const replayed = { sessions: sessionsReplay(buffer, decodeLogged), store, logs: logsReplay(logRoute, logs), metrics: metricsReplay(() => collector.metricRoute, metrics) };
  const recovery = durability === null ? null : await durability.recover(replayed);
  durability?.start(replayed);
  await shared.start(engine, buffer);
  buffer.start();
  logs.start();
  const { grpcPort, httpPort } = await collector.start();
  log.info(startupSummary(config, { grpcPort, httpPort }, walDir), 'agenttail started');
  const notice = loopbackNotice(config);
  if (notice !== null) log.warn(notice);

  let shuttingDown: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      log.info('shutting down: refusing new data, deciding open sessions, flushing the store');
      // The last rows must go in before the deadline, whatever RSS is.
      insertHold?.stop();
      const baseline = await shutdownBaseline(registry);
      await collector.shutdown(Math.min(5_000, config.shutdownTimeoutMs));
      await buffer.shutdown();
      await shared.shutdown();
      // Sessions decided by the drain release their held log records before the store's last flush.
      logs.sweep();
      await logs.settled();
      logs.shutdown();
      // With the log, writes ClickHouse cannot take before the deadline stay in the log for the next start.
      const flushed = await Promise.race([store.forceFlush().then(() => true), sleep(Math.max(0, deadline - Date.now() - 500)).then(() => false)]);
      if (!flushed) log.warn({ outstandingWrites: store.outstandingWrites }, 'store not flushed before the shutdown deadline; unwritten data stays in the log');
      const unwrittenBatches = flushed ? 0 : store.outstandingWrites;
      await durability?.shutdown();
      await store.shutdown(flushed ? undefined : { abandon: true });
      const wal = durability === null ? { durability: 'off' } : { endLsn: durability.wal.endLsn, diskBytes: durability.wal.diskBytes };
      log.info({ ...(await baseline.delta()), unwrittenBatches, wal }, 'shutdown complete');
    })();
    return shuttingDown;
  };
  return { grpcPort, httpPort, collector, buffer, store, durability, recovery, shared, logs, shutdown };
}

/**
 * Opening the embedded store creates it, so a store that is not where the log wrote to (another working directory,
 * a moved path) would start empty and recovery would skip the batches the log says it holds: refuse instead.
 */
async function refuseMissingStore(config: Config, durability: Durability, walDir: string): Promise<void> {
  const path = config.store.path;
  if (config.store.kind !== 'embedded' || (existsSync(path) && readdirSync(path).length > 0)) return;
  const stored = await durability.storedBatches();
  if (stored === 0) return;
  throw new AgtError(
    'AGT_ERR_STORE_MISSING',
    `the write-ahead log at ${walDir} says ${stored} batches were written to an embedded store, but ${path} is missing or empty (another working directory or store.path?); start with the data directory that holds it, or move the log away to start empty`,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
