/** Wires the stages together (STYLE.md 3): receive → otlp → conventions → pricing → sessions → sampling → store. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from './config/schema.js';
import { Normalizer } from './conventions/normalize.js';
import type { Logger } from './log.js';
import type { SpanSink } from './pipeline.js';
import { sessionPrecedence } from './conventions/session.js';
import { LogRoute, type LogSink } from './logs/log-route.js';
import { MetricRoute, type MetricSink } from './metrics/metric-route.js';
import { TraceRoute } from './receive/trace-route.js';
import { Pricer } from './pricing/pricer.js';
import { Authenticator } from './receive/auth.js';
import { ExportHandler } from './receive/export-handler.js';
import { isAddressInUse, portInUseError } from './receive/port-in-use.js';
import { GrpcReceiver } from './receive/grpc-server.js';
import { otlpHttpRoutes } from './receive/http-routes.js';
import { ReceiveMetrics } from './receive/metrics.js';
import { collectGarbage } from './receive/force-gc.js';
import { resolveRssCap, type ResolvedRssCap } from './receive/memory-limit.js';
import { OverloadGuard } from './receive/overload.js';
import { QuotaManager } from './receive/quota.js';
import { RefusalLog } from './receive/refusal-log.js';
import { RequestDecoder } from './receive/request-decoder.js';
import { configuredReads } from './config/redaction.js';
import { protectedKeys } from './redaction/protected-keys.js';
import { RedactionMetrics } from './redaction/metrics.js';
import { NO_REDACTION, Redactor } from './redaction/request-redactor.js';
import { systemRoutes, type ReadinessCheck } from './api/system-routes.js';

export interface CollectorParams {
  config: Config;
  log: Logger;
  /** Where accepted spans go. */
  sink: SpanSink;
  /** Where accepted log records go (src/logs/log-joiner.ts). */
  logSink: LogSink;
  /** Where accepted metric data points go (src/metrics/metric-writer.ts). */
  metricSink: MetricSink;
  registry?: Registry;
  /** Extra readiness checks (store, WAL). */
  checks?: Record<string, () => ReadinessCheck>;
  /** Extra HTTP routes (API) registered on the 4318 server. */
  routes?: ((app: FastifyInstance) => Promise<void>)[];
  /** Told when RSS reaches receive.overload.maxRssBytes (true) and when it is back under it (false): the session buffer sheds. */
  onMemoryPressure?: (over: boolean) => void;
  /** Where `maxRssBytes: auto` reads the cgroup memory limit (default: the v2 file, else the v1 one; tests point it at a fake file). */
  cgroupMemoryMaxPath?: string;
  /** Reads the process RSS (tests inject one). */
  readRssBytes?: () => number;
  /** Forces a full garbage collection while over the memory limit; false when it could not (tests inject one). */
  collectGarbage?: () => boolean;
}

/** The network-facing part of the collector: both receivers and the HTTP API on one port. */
export class Collector {
  readonly registry: Registry;
  readonly auth: Authenticator;
  readonly pricer: Pricer;
  /** Decode → tenant → normalize → price, as the receivers do it (recovery re-reads logged requests with it). */
  readonly decoder: RequestDecoder;
  /** Sheds Export requests while the event loop lags or RSS is over the cap (receive.overload). */
  readonly overload: OverloadGuard;
  /** The transport-independent trace Export path both receivers call (benches feed it directly). */
  readonly handler: ExportHandler;
  /** The same Export path for log records. */
  readonly logsHandler: ExportHandler;
  /** Decode → tenant → session hint of log requests (recovery re-reads logged ones with it). */
  readonly logRoute: LogRoute;
  /** The same Export path for OTLP metrics. */
  readonly metricsHandler: ExportHandler;
  /** Decode → tenant → rows of metric requests (recovery re-reads logged ones with it). */
  readonly metricRoute: MetricRoute;
  /** The memory cap as resolved at construction (explicit, from the cgroup limit, or off). */
  readonly rssCap: ResolvedRssCap;
  /** Refused requests, logged as totals per interval. */
  readonly refusals: RefusalLog;
  private readonly http: FastifyInstance;
  private readonly grpc: GrpcReceiver | null;
  private started = false;

  constructor(private readonly params: CollectorParams) {
    const { config, log } = params;
    this.registry = params.registry ?? new Registry();
    this.auth = new Authenticator({ keys: config.receive.keys, log });
    this.pricer = new Pricer({ overrides: config.pricing.overrides, registry: this.registry });
    this.decoder = new RequestDecoder({
      auth: this.auth,
      limits: config.receive.limits,
      normalizer: new Normalizer({ sessionPrecedence: config.conventions.sessionPrecedence, endpointRegions: config.conventions.endpointRegions, registry: this.registry }),
      pricer: this.pricer,
    });
    const overload = config.receive.overload;
    this.rssCap = resolveRssCap(overload.maxRssBytes, params.cgroupMemoryMaxPath);
    const metrics = new ReceiveMetrics(this.registry, () => this.overload.peakRssBytes);
    metrics.rssLimitBytes.set(this.rssCap.bytes);
    this.overload = new OverloadGuard({
      maxLagMs: overload.maxEventLoopLagMs,
      maxRssBytes: this.rssCap.bytes,
      retryAfterMs: overload.retryAfterMs,
      log: log.child({ component: 'overload' }),
      ...(params.readRssBytes ? { readRssBytes: params.readRssBytes } : {}),
      ...(params.onMemoryPressure ? { onMemoryPressure: params.onMemoryPressure } : {}),
      collectGarbage: () => {
        if ((params.collectGarbage ?? collectGarbage)()) metrics.forcedGcs.inc();
      },
    });
    this.refusals = new RefusalLog({ log: log.child({ component: 'receive' }) });
    // One quota manager for every signal: a tenant's item and byte rates cover spans and log records together.
    const shared = {
      auth: this.auth,
      quotas: new QuotaManager({ quota: config.receive.quota, tenantQuotas: config.receive.tenantQuotas }),
      overload: this.overload,
      metrics,
      refusals: this.refusals,
      maxStringBytes: config.receive.limits.maxStringBytes,
      log,
    };
    // Redaction sits between admission and decoding (src/redaction/); off, the handlers get the null object.
    const redactionMetrics = new RedactionMetrics(this.registry);
    const redactor = config.redaction.enabled
      ? new Redactor({
          config: config.redaction,
          isProtected: protectedKeys(configuredReads({ sessionPrecedence: config.conventions.sessionPrecedence, samplingRules: config.sampling.rules })),
          auth: this.auth,
          metrics: redactionMetrics,
        })
      : null;
    this.metricRoute = new MetricRoute({ auth: this.auth, limits: config.receive.limits, sink: params.metricSink });
    this.logRoute = new LogRoute({ auth: this.auth, limits: config.receive.limits, sessionPrecedence: sessionPrecedence(config.conventions.sessionPrecedence), sink: params.logSink });
    const handlers = {
      traces: (this.handler = new ExportHandler({ ...shared, redactor: redactor?.forSignal('traces') ?? NO_REDACTION, route: new TraceRoute({ decoder: this.decoder, sink: params.sink }) })),
      logs: (this.logsHandler = new ExportHandler({ ...shared, redactor: redactor?.forSignal('logs') ?? NO_REDACTION, route: this.logRoute })),
      // Metric attributes (data points, exemplars, metadata) are redacted like span attributes (docs/redaction.md).
      metrics: (this.metricsHandler = new ExportHandler({ ...shared, redactor: redactor?.forSignal('metrics') ?? NO_REDACTION, route: this.metricRoute })),
    };
    this.http = Fastify({ loggerInstance: log.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger, bodyLimit: config.receive.http.maxBodyBytes }) as unknown as FastifyInstance;
    void this.http.register(otlpHttpRoutes({ handlers, maxBodyBytes: config.receive.http.maxBodyBytes }));
    void this.http.register(systemRoutes({ registry: this.registry, checks: params.checks ?? {} }));
    for (const route of params.routes ?? []) void this.http.register(route);
    this.grpc = config.receive.grpc.enabled
      ? new GrpcReceiver({ handlers, host: config.receive.grpc.host, port: config.receive.grpc.port, maxMessageBytes: config.receive.grpc.maxMessageBytes, log })
      : null;
  }

  /** Binds both ports; resolves with the ports actually bound (0 in config = any free port). */
  async start(): Promise<{ grpcPort: number | null; httpPort: number | null }> {
    const { config, log } = this.params;
    if (this.auth.open) {
      log.warn('no API keys configured: running OPEN — any client may write, tenant from resource attribute tenant.id or "default"');
    }
    let grpcPort: number | null = null;
    let httpPort: number | null = null;
    if (this.grpc) grpcPort = (await this.grpc.start()).port;
    if (config.receive.http.enabled) {
      const { host, port } = config.receive.http;
      await this.http.listen({ host, port }).catch((err: unknown) => {
        throw isAddressInUse(err) ? portInUseError({ section: 'http', label: 'OTLP/HTTP and API' }, host, port, err) : err;
      });
      const addr = this.http.server.address();
      httpPort = typeof addr === 'object' && addr ? addr.port : null;
    } else {
      await this.http.ready();
    }
    this.overload.start();
    this.refusals.start();
    this.started = true;
    log.info({ grpcPort, httpPort, maxRssBytes: this.rssCap.bytes, maxRssSource: this.rssCap.source }, 'agenttail receivers listening');
    return { grpcPort, httpPort };
  }

  /** Stops accepting: the gRPC server drains in-flight calls within graceMs; HTTP closes. */
  async shutdown(graceMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.overload.stop();
    await Promise.all([this.grpc?.stop(graceMs), this.http.close()]);
    this.refusals.stop();
  }
}

/** A fresh registry with the process metrics (CPU, memory, event-loop lag) registered. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}
