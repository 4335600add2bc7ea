/**
 * The two ports: OTLP/gRPC (4317) and OTLP/HTTP with the API (4318). They only bind, hand each Export to its
 * handler and close; every part behind them is built by the composition root (src/main/compose.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { ReceiveConfig } from '../config/receive.js';
import type { Logger } from '../log.js';
import type { ExportHandler } from './export-handler.js';
import { receiveWindows } from './grpc-flow-control.js';
import { GrpcReceiver } from './grpc-server.js';
import { otlpHttpRoutes } from './http-routes.js';
import { isAddressInUse, portInUseError } from './port-in-use.js';

/** One Export handler per signal. */
export interface SignalHandlers {
  traces: ExportHandler;
  logs: ExportHandler;
  metrics: ExportHandler;
}

export interface ReceiversParams {
  config: Pick<ReceiveConfig, 'grpc' | 'http'>;
  handlers: SignalHandlers;
  log: Logger;
  /** HTTP routes registered on the 4318 server beside OTLP (the API, /metrics and the health checks). */
  routes: readonly FastifyPluginAsync[];
}

/** The ports actually bound (0 in config = any free port; null = that receiver is off). */
export interface BoundPorts {
  grpcPort: number | null;
  httpPort: number | null;
}

/** Both receivers: bind on `listen`, drain and close on `close`. */
export class Receivers {
  private readonly http: FastifyInstance;
  private readonly grpc: GrpcReceiver | null;

  constructor(private readonly p: ReceiversParams) {
    const { config, handlers, log } = p;
    this.http = Fastify({ loggerInstance: log.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger, bodyLimit: config.http.maxBodyBytes }) as unknown as FastifyInstance;
    void this.http.register(otlpHttpRoutes({ handlers, maxBodyBytes: config.http.maxBodyBytes }));
    for (const route of p.routes) void this.http.register(route);
    this.grpc = config.grpc.enabled ? new GrpcReceiver({ handlers, host: config.grpc.host, port: config.grpc.port, maxMessageBytes: config.grpc.maxMessageBytes, windows: receiveWindows(config.grpc), log }) : null;
  }

  /** Binds both ports; resolves with the ports actually bound. */
  async listen(): Promise<BoundPorts> {
    const { config } = this.p;
    let grpcPort: number | null = null;
    let httpPort: number | null = null;
    if (this.grpc) grpcPort = (await this.grpc.start()).port;
    if (config.http.enabled) {
      const { host, port } = config.http;
      await this.http.listen({ host, port }).catch((err: unknown) => {
        throw isAddressInUse(err) ? portInUseError({ section: 'http', label: 'OTLP/HTTP and API' }, host, port, err) : err;
      });
      const addr = this.http.server.address();
      httpPort = typeof addr === 'object' && addr ? addr.port : null;
    } else {
      await this.http.ready();
    }
    return { grpcPort, httpPort };
  }

  /** Stops accepting: the gRPC server drains in-flight calls within graceMs; HTTP closes. */
  async close(graceMs: number): Promise<void> {
    await Promise.all([this.grpc?.stop(graceMs), this.http.close()]);
  }
}
