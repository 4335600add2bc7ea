/**
 * The one composition root: builds every part of the process once, in pipeline order (log → store → decoding →
 * sampling → sessions → logs → metrics → receive side → API), each from parts built before it, with parameter
 * objects. Nothing here starts a timer or binds a port: src/main/lifecycle.ts does (recover → timers → listen).
 */
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { costsRoutes } from '../api/costs-route.js';
import { evalRoutes } from '../api/evals-route.js';
import { repriceRoutes } from '../api/reprice-route.js';
import { residencyRoutes } from '../api/residency-route.js';
import { sessionsRoutes } from '../api/sessions-route.js';
import { systemRoutes, type ReadinessCheck } from '../api/system-routes.js';
import { configuredReads } from '../config/redaction.js';
import { leanSpanFilter } from '../receive/span-attr-filter.js';
import type { Config } from '../config/schema.js';
import { Normalizer } from '../conventions/normalize.js';
import { sessionPrecedence } from '../conventions/session.js';
import { Durability } from '../durability/durability.js';
import { NoopJournal, type Journal } from '../durability/journal.js';
import type { RequestRecord, RecoveryTargets } from '../durability/replay.js';
import { AgtError } from '../model/errors.js';
import type { Logger } from '../log.js';
import { LogJoiner } from '../logs/log-joiner.js';
import { logsReadBack, logsReplay } from '../logs/log-replay.js';
import { LogDecoder, LogRoute, type LogSink } from '../logs/log-route.js';
import { metricsReplay } from '../metrics/metric-replay.js';
import { MetricRoute, type MetricSink } from '../metrics/metric-route.js';
import { MetricWriter } from '../metrics/metric-writer.js';
import type { SpanSink } from '../model/sinks.js';
import { Pricer } from '../pricing/pricer.js';
import { Authenticator } from '../receive/auth.js';
import { ExportHandler } from '../receive/export-handler.js';
import { collectGarbage, compactGarbage } from '../receive/force-gc.js';
import { IdleGc } from './idle-gc.js';
import { loadMallocTrim, type MallocTrim } from './malloc-trim.js';
import { resolveRssCap, type ResolvedRssCap } from '../receive/memory-limit.js';
import { ReceiveMetrics } from '../receive/metrics.js';
import { OverloadGuard } from '../receive/overload.js';
import { QuotaManager } from '../receive/quota.js';
import { Receivers } from '../receive/receivers.js';
import { RefusalLog } from '../receive/refusal-log.js';
import { RequestDecoder } from '../receive/request-decoder.js';
import { traceDecodePool } from '../receive/decode-pool.js';
import { usableCores } from '../receive/cpu-limit.js';
import { TraceRoute } from '../receive/trace-route.js';
import { RedactionMetrics } from '../redaction/metrics.js';
import { protectedKeys } from '../config/protected-keys.js';
import { NO_REDACTION } from '../receive/redactor.js';
import { Redactor } from '../redaction/request-redactor.js';
import { DecisionCache } from '../sampling/decision-cache.js';
import { DecisionEngine } from '../sampling/engine.js';
import { SessionBuffer } from '../sessions/session-buffer.js';
import { sessionsReplay, spanReadBack } from '../sessions/session-replay.js';
import { SharedState } from '../shared/shared-state.js';
import { ClickHouseStore } from '../store/clickhouse-store.js';
import { insertBudgetBytes } from '../store/insert-budget.js';
import { insertHoldFor, type InsertHold } from '../store/insert-hold.js';
import { collectorOf, type Collector } from './collector.js';

/** A fresh registry with the process metrics (CPU, memory, event-loop lag) registered. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}

/** Decoding shared by arrivals, recovery and upgrades' read-back: built before every stage that reads logged requests. */
export interface DecodeParts {
  auth: Authenticator;
  pricer: Pricer;
  /** Traces: decode → tenant → normalize → price. */
  decoder: RequestDecoder;
  /** Logs: decode → tenant → session hint and eval. */
  logDecoder: LogDecoder;
}

export function composeDecoding(p: { config: Config; log: Logger; registry: Registry }): DecodeParts {
  const { config, registry } = p;
  const auth = new Authenticator({ keys: config.receive.keys, log: p.log });
  const pricer = new Pricer({ overrides: config.pricing.overrides, registry });
  const limits = config.receive.limits;
  const normalizer = new Normalizer({ sessionPrecedence: config.conventions.sessionPrecedence, endpointRegions: config.conventions.endpointRegions, registry });
  return {
    auth,
    pricer,
    decoder: new RequestDecoder({ auth, limits, normalizer, pricer }),
    logDecoder: new LogDecoder({ auth, limits, sessionPrecedence: sessionPrecedence(config.conventions.sessionPrecedence) }),
  };
}

/** Where each signal's accepted items go. */
export interface Sinks {
  spans: SpanSink;
  logs: LogSink;
  metrics: MetricSink;
}

/** What tests inject into the receive side (an RSS reader, a fake cgroup file, a forced GC, a pressure listener). */
export interface ReceiveHooks {
  /** Where `maxRssBytes: auto` reads the cgroup memory limit (tests point it at a fake file). */
  cgroupMemoryMaxPath?: string;
  readRssBytes?: () => number;
  /** Forces a full garbage collection while over the memory limit; false when it could not. */
  collectGarbage?: () => boolean;
  /** Told when RSS reaches the cap (true) and when it is back under it (false). */
  onMemoryPressure?: (over: boolean) => void;
}

export interface ReceiveSideParams {
  config: Config;
  log: Logger;
  registry: Registry;
  decoding: DecodeParts;
  sinks: Sinks;
  rssCap: ResolvedRssCap;
  checks?: Record<string, () => ReadinessCheck>;
  routes?: readonly FastifyPluginAsync[];
  hooks?: ReceiveHooks;
  /** Trims the malloc heap after the collection forced over the memory limit (src/main/malloc-trim.ts). */
  mallocTrim?: MallocTrim;
}

/** The receive side: guards, redaction, one Export handler per signal, and the receivers over them. */
export function composeReceiveSide(p: ReceiveSideParams): Collector {
  const { config, log, registry, decoding, sinks, rssCap, hooks = {} } = p;
  const { auth } = decoding;
  const metrics = new ReceiveMetrics(registry);
  metrics.rssLimitBytes.set(rssCap.bytes);
  const o = config.receive.overload;
  const overload = new OverloadGuard({
    maxLagMs: o.maxEventLoopLagMs,
    maxRssBytes: rssCap.bytes,
    retryAfterMs: o.retryAfterMs,
    log: log.child({ component: 'overload' }),
    ...(hooks.readRssBytes ? { readRssBytes: hooks.readRssBytes } : {}),
    ...(hooks.onMemoryPressure ? { onMemoryPressure: hooks.onMemoryPressure } : {}),
    collectGarbage: () => {
      if ((hooks.collectGarbage ?? collectGarbage)()) metrics.forcedGcs.inc();
      // What the collection freed outside V8's heap (request buffers) goes back too: the trim holds up the main
      // thread's mallocs while it runs, but requests are refused here anyway and it brings RSS under the resume line.
      void p.mallocTrim?.trim();
    },
  });
  metrics.readPeakRssFrom(overload);
  const refusals = new RefusalLog({ log: log.child({ component: 'receive' }) });
  // One quota manager for every signal: a tenant's item and byte rates cover spans and log records together.
  const shared = {
    auth,
    quotas: new QuotaManager({ quota: config.receive.quota, tenantQuotas: config.receive.tenantQuotas }),
    overload,
    metrics,
    refusals,
    maxStringBytes: config.receive.limits.maxStringBytes,
    log,
  };
  // Redaction sits between admission and decoding (src/redaction/); off, the handlers get the null object (its
  // counter is exposed either way, at 0).
  const redactionMetrics = new RedactionMetrics(registry);
  // What normalization and decisions read: redaction leaves it alone, and spans held lean are decoded with only it.
  const isRead = protectedKeys(configuredReads({ sessionPrecedence: config.conventions.sessionPrecedence, samplingRules: config.sampling.rules }));
  const redactor = config.redaction.enabled
    ? new Redactor({
        config: config.redaction,
        isProtected: isRead,
        auth,
        metrics: redactionMetrics,
      })
    : null;
  // A sink that holds spans lean reads a kept session's attributes back from the log: arrivals build only what is read.
  const spanFilter = leanSpanFilter(sinks.spans, isRead);
  const decodePool = traceDecodePool({ config, log, registry, heldKeys: sinks.spans.leanKeys?.() ?? null, cores: usableCores(availableParallelism()) });
  const logRoute = new LogRoute({ decoder: decoding.logDecoder, sink: sinks.logs });
  const metricRoute = new MetricRoute({ auth, limits: config.receive.limits, sink: sinks.metrics });
  const handlers = {
    traces: new ExportHandler({ ...shared, redactor: redactor?.forSignal('traces') ?? NO_REDACTION, route: new TraceRoute({ decoder: decoding.decoder, sink: sinks.spans, filter: spanFilter, pool: decodePool }) }),
    logs: new ExportHandler({ ...shared, redactor: redactor?.forSignal('logs') ?? NO_REDACTION, route: logRoute }),
    // Metric attributes (data points, exemplars, metadata) are redacted like span attributes (docs/redaction.md).
    metrics: new ExportHandler({ ...shared, redactor: redactor?.forSignal('metrics') ?? NO_REDACTION, route: metricRoute }),
  };
  const routes = [systemRoutes({ registry, checks: p.checks ?? {} }), ...(p.routes ?? [])];
  const receivers = new Receivers({ config: config.receive, handlers, log, routes });
  return collectorOf({
    registry,
    auth,
    pricer: decoding.pricer,
    decoder: decoding.decoder,
    overload,
    handler: handlers.traces,
    logsHandler: handlers.logs,
    logRoute,
    metricsHandler: handlers.metrics,
    metricRoute,
    rssCap,
    refusals,
    receivers,
    decodePool,
    log,
  });
}

/** The receive side alone over given sinks (integration tests of the receivers): decoding, guards, ports. */
export function composeCollector(p: { config: Config; log: Logger; sinks: Sinks; registry?: Registry; hooks?: ReceiveHooks }): Collector {
  const registry = p.registry ?? new Registry();
  const rssCap = resolveRssCap(p.config.receive.overload.maxRssBytes, p.hooks?.cgroupMemoryMaxPath);
  const decoding = composeDecoding({ config: p.config, log: p.log, registry });
  return composeReceiveSide({ config: p.config, log: p.log, registry, decoding, sinks: p.sinks, rssCap, ...(p.hooks ? { hooks: p.hooks } : {}) });
}

/** Every part of the process, built once. */
export interface Parts {
  config: Config;
  log: Logger;
  registry: Registry;
  /** The write-ahead log stage; null when `wal.durability` is `off`. */
  durability: Durability | null;
  walDir: string | null;
  store: ClickHouseStore;
  /** Embedded inserts wait while RSS is at the refusal line; released first on shutdown. */
  insertHold: InsertHold | undefined;
  shared: SharedState;
  engine: DecisionEngine;
  buffer: SessionBuffer;
  logs: LogJoiner;
  metrics: MetricWriter;
  collector: Collector;
  /** What recovery replays into, in the log's order. */
  replay: RecoveryTargets;
  idleGc: IdleGc;
}

/** Builds the whole process, in pipeline order; starts nothing. */
export async function compose(config: Config, log: Logger): Promise<Parts> {
  const registry = createRegistry();
  // The memory cap is resolved once: the receivers refuse at it, the embedded store budgets its inserts under it.
  const rssCap = resolveRssCap(config.receive.overload.maxRssBytes);

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
  if (durability !== null) await refuseMissingStore(config, durability, walDir!);

  // While ClickHouse is down, pending rows spill next to the log, against the log's own disk cap.
  const spill = durability === null ? undefined : { dir: join(walDir!, 'spill'), budget: durability.spillBudget };
  const insertHold = insertHoldFor(config.store, rssCap.bytes);
  const store = await ClickHouseStore.open({
    config: config.store,
    log: log.child({ component: 'store' }),
    registry,
    // The embedded engine's insert memory is budgeted under the process memory cap (src/store/insert-budget.ts).
    insertBudgetBytes: insertBudgetBytes(config.store, rssCap.bytes),
    ...(insertHold ? { insertHold } : {}),
    ...(durability && spill ? { journal: durability, spill } : {}),
  });
  const shared = new SharedState({ config, store, registry, log: log.child({ component: 'shared' }) });

  const decoding = composeDecoding({ config, log, registry });
  const engine = new DecisionEngine({
    config: config.sampling,
    residency: config.residency,
    registry,
    log: log.child({ component: 'sampling' }),
    // The cache detectors price missed cache reads with the spans' own pricer.
    priceUsage: (u) => decoding.pricer.priceUsage(u),
    keptElsewhere: shared.keptElsewhere,
  });
  const cache = new DecisionCache({ ttlMs: config.sampling.decisionCache.ttlMs, maxEntries: config.sampling.decisionCache.maxEntries, maxBytes: config.sampling.decisionCache.maxBytes });
  let evictedSeen = 0;
  new Counter({
    name: 'agenttail_sampling_decision_cache_evicted_sessions_total',
    help: 'Decided sessions the decision cache forgot before their TTL to stay under sampling.decisionCache.maxBytes or maxEntries (their late spans open a new session, counted once)',
    registers: [registry],
    collect() {
      const n = cache.evictedSessions;
      if (n > evictedSeen) this.inc(n - evictedSeen);
      evictedSeen = n;
    },
  });
  // Logged trace requests are decoded as on arrival: recovery and upgrades read them back through this one function.
  const decodeLogged = (r: Parameters<RequestDecoder['spansOfLogged']>[0]) => decoding.decoder.spansOfLogged(r);
  const buffer = new SessionBuffer({
    config: config.sessions,
    engine,
    cache,
    store: shared.sessionStore,
    registry,
    log: log.child({ component: 'sessions' }),
    journal,
    readSpans: spanReadBack(journal, decodeLogged),
    // sessions.leanSpans: buffered spans are held lean; a kept session's are read back from the log, each from its own bytes.
    ...(config.sessions.leanSpans ? { readDetail: (record: Pick<RequestRecord, 'format' | 'receivedAtMs'>, spanBytes: Uint8Array) => decoding.decoder.detailOf(record, spanBytes) } : {}),
  });
  const logs = new LogJoiner({
    config: config.logs,
    cache,
    store,
    evals: buffer,
    registry,
    log: log.child({ component: 'logs' }),
    journal,
    readBack: logsReadBack(journal, decoding.logDecoder),
  });
  // Metrics are not sampled: points go straight to their tables, logged like every request (src/metrics/).
  const metrics = new MetricWriter({ store, journal });

  const { auth, pricer } = decoding;
  const mallocTrim = loadMallocTrim(registry);
  if (!mallocTrim.available) log.info({ reason: mallocTrim.reason }, 'the malloc heap is not trimmed when idle: freed native memory stays mapped');
  const collector = composeReceiveSide({
    config,
    log,
    registry,
    decoding,
    sinks: { spans: buffer, logs, metrics },
    rssCap,
    mallocTrim,
    hooks: {
      onMemoryPressure: (over) => {
        buffer.setMemoryPressure(over);
        store.setMemoryPressure(over);
      },
    },
    checks: {
      store: () => ({ ok: true, degraded: !store.hasCapacity(), detail: store.hasCapacity() ? 'ok' : 'writer queues full' }),
      ...(durability ? { wal: () => durability.health() } : {}),
    },
    routes: [
      async (app) => {
        await app.register(evalRoutes({ sink: buffer, authenticate: (c) => auth.authenticate(c) }));
        await app.register(sessionsRoutes({ client: store.client, database: store.database, auth, canonicalModel: (m) => pricer.canonicalModel(m) }));
        await app.register(costsRoutes({ client: store.client, database: store.database, auth }));
        await app.register(residencyRoutes({ client: store.client, database: store.database, auth, residency: config.residency }));
        await app.register(repriceRoutes({ client: store.client, database: store.database, auth, pricer }));
      },
    ],
  });
  const replay: RecoveryTargets = {
    sessions: sessionsReplay(buffer, decodeLogged),
    store,
    logs: logsReplay(decoding.logDecoder, logs),
    metrics: metricsReplay(collector.metricRoute, metrics),
  };
  // Once the load stops, one full collection hands the garbage of the burst back (src/main/idle-gc.ts).
  const idleGc = new IdleGc({ registry, collectGarbage, compactGarbage, readActivity: () => collector.overload.requestsAsked, trimMalloc: () => mallocTrim.trim() });
  return { config, log, registry, durability, walDir, store, insertHold, shared, engine, buffer, logs, metrics, collector, replay, idleGc };
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
