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
import type { DecodePool } from '../receive/decode-pool.js';

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
  /** Trace decode workers (receive.decodeWorkers; absent at 0): started before the ports, stopped after them. */
  decodePool?: DecodePool | undefined;
  log: Logger;
}

/** The network-facing part of the collector: its parts, and both receivers with the HTTP API on one port. */
export interface Collector extends Omit<CollectorParts, 'receivers' | 'log'> {
  /** Starts the guards' timers, then binds both ports; resolves with the ports actually bound. */
  start(): Promise<BoundPorts>;
  /** Stops accepting (the gRPC server drains in-flight calls within graceMs), then the guards' timers. */
  shutdown(graceMs: number): Promise<void>;
}

/** The receive side over the parts the root built: it builds nothing. */
export function collectorOf(parts: CollectorParts): Collector {
  const { receivers, log, ...rest } = parts;
  const { overload, refusals, rssCap } = parts;
  let started = false;
  return {
    ...rest,
    async start() {
      if (parts.auth.open) {
        log.warn('no API keys configured: running OPEN — any client may write, tenant from resource attribute tenant.id or "default"');
      }
      overload.start();
      refusals.start();
      let ports: BoundPorts;
      try {
        // The workers are built before the first request: one that cannot start fails the start, not requests.
        await parts.decodePool?.start();
        ports = await receivers.listen();
      } catch (err) {
        overload.stop();
        refusals.stop();
        await parts.decodePool?.close();
        throw err;
      }
      started = true;
      log.info({ ...ports, maxRssBytes: rssCap.bytes, maxRssSource: rssCap.source, decodeWorkers: parts.decodePool?.size ?? 0 }, 'agenttail receivers listening');
      return ports;
    },
    async shutdown(graceMs) {
      if (!started) return;
      started = false;
      await receivers.close(graceMs);
      await parts.decodePool?.close();
      overload.stop();
      refusals.stop();
    },
  };
}
