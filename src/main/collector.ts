/**
 * The receive side of one process, as the composition root built it (src/main/compose.ts): the decoding parts
 * recovery and upgrades share with arrivals, the guards in front of every Export, one handler per signal, and the
 * ports. It builds nothing; it starts its timers, then listens, and stops in the reverse order.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { LogRoute } from '../logs/log-route.js';
import type { MetricRoute } from '../metrics/metric-route.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Authenticator } from '../receive/auth.js';
import type { ExportHandler } from '../receive/export-handler.js';
import type { ResolvedRssCap } from '../receive/memory-limit.js';
import type { OverloadGuard } from '../receive/overload.js';
import type { Receivers, BoundPorts } from '../receive/receivers.js';
import type { RefusalLog } from '../receive/refusal-log.js';
import type { RequestDecoder } from '../receive/request-decoder.js';

export interface CollectorParts {
  registry: Registry;
  auth: Authenticator;
  pricer: Pricer;
  /** Decode → tenant → normalize → price, as the receivers do it (recovery re-reads logged requests with it). */
  decoder: RequestDecoder;
  /** Sheds Export requests while the event loop lags or RSS is over the cap (receive.overload). */
  overload: OverloadGuard;
  /** The transport-independent trace Export path both receivers call (benches feed it directly). */
  handler: ExportHandler;
  /** The same Export path for log records. */
  logsHandler: ExportHandler;
  /** Decode → tenant → session hint of log requests, handed to the log joiner. */
  logRoute: LogRoute;
  /** The same Export path for OTLP metrics. */
  metricsHandler: ExportHandler;
  /** Decode → tenant → rows of metric requests (recovery re-reads logged ones with it). */
  metricRoute: MetricRoute;
  /** The memory cap, resolved once by the root (explicit, from the cgroup limit, or off). */
  rssCap: ResolvedRssCap;
  /** Refused requests, logged as totals per interval. */
  refusals: RefusalLog;
  receivers: Receivers;
  log: Logger;
}

/** The network-facing part of the collector: both receivers and the HTTP API on one port. */
export class Collector {
  readonly registry: Registry;
  readonly auth: Authenticator;
  readonly pricer: Pricer;
  readonly decoder: RequestDecoder;
  readonly overload: OverloadGuard;
  readonly handler: ExportHandler;
  readonly logsHandler: ExportHandler;
  readonly logRoute: LogRoute;
  readonly metricsHandler: ExportHandler;
  readonly metricRoute: MetricRoute;
  readonly rssCap: ResolvedRssCap;
  readonly refusals: RefusalLog;
  private started = false;

  constructor(private readonly parts: CollectorParts) {
    this.registry = parts.registry;
    this.auth = parts.auth;
    this.pricer = parts.pricer;
    this.decoder = parts.decoder;
    this.overload = parts.overload;
    this.handler = parts.handler;
    this.logsHandler = parts.logsHandler;
    this.logRoute = parts.logRoute;
    this.metricsHandler = parts.metricsHandler;
    this.metricRoute = parts.metricRoute;
    this.rssCap = parts.rssCap;
    this.refusals = parts.refusals;
  }

  /** Starts the guards' timers, then binds both ports; resolves with the ports actually bound. */
  async start(): Promise<BoundPorts> {
    const { log } = this.parts;
    if (this.auth.open) {
      log.warn('no API keys configured: running OPEN — any client may write, tenant from resource attribute tenant.id or "default"');
    }
    this.overload.start();
    this.refusals.start();
    let ports: BoundPorts;
    try {
      ports = await this.parts.receivers.listen();
    } catch (err) {
      this.overload.stop();
      this.refusals.stop();
      throw err;
    }
    this.started = true;
    log.info({ ...ports, maxRssBytes: this.rssCap.bytes, maxRssSource: this.rssCap.source }, 'agenttail receivers listening');
    return ports;
  }

  /** Stops accepting (the gRPC server drains in-flight calls within graceMs), then the guards' timers. */
  async shutdown(graceMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.parts.receivers.close(graceMs);
    this.overload.stop();
    this.refusals.stop();
  }
}
