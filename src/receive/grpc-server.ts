/** OTLP/gRPC receiver: TraceService/Export, LogsService/Export and MetricsService/Export (opentelemetry.proto.collector.*.v1) on @grpc/grpc-js. */
import { Metadata, Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { LOGS_EXPORT_PATH, METRICS_EXPORT_PATH, rawExportService, TRACE_EXPORT_PATH } from '../otlp/trace-service.js';
import type { Logger } from '../log.js';
import { AgtError } from '../model/errors.js';
import { failed } from '../model/outcome.js';
import { toGrpcAnswer, type GrpcAnswer } from './answers.js';
import type { ExportHandler } from './export-handler.js';
import { setReceiveWindows, type ReceiveWindows } from './grpc-flow-control.js';
import { isAddressInUse, portInUseError, probePort, type Receiver } from './port-in-use.js';

const GRPC: Receiver = { section: 'grpc', label: 'OTLP/gRPC' };

/**
 * gzip's magic bytes. A request whose message still starts with them was sent with the compressed flag but no
 * `grpc-encoding` (grpc-js then passes the bytes on as they are); a real ExportTraceServiceRequest never starts with
 * 0x1f (field 3, wire type 7 does not exist).
 */
function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** Sends an answer: the response, or the status with its google.rpc.Status in `grpc-status-details-bin`. */
function reply(cb: sendUnaryData<Buffer>, answer: GrpcAnswer): void {
  if (answer.code === 0) return cb(null, Buffer.from(answer.response!));
  const trailer = new Metadata();
  if (answer.statusDetails) trailer.set('grpc-status-details-bin', answer.statusDetails);
  cb({ code: answer.code, details: answer.details, metadata: trailer }, null);
}

export class GrpcReceiver {
  private readonly server: Server;

  constructor(private readonly params: { handlers: { traces: ExportHandler; logs: ExportHandler; metrics: ExportHandler }; host: string; port: number; maxMessageBytes: number; windows: ReceiveWindows; log: Logger }) {
    // grpc-js decompresses gzip/deflate messages itself and enforces the (decompressed) size limit.
    this.server = new Server({ 'grpc.max_receive_message_length': params.maxMessageBytes });
    const services: [string, ExportHandler][] = [
      [TRACE_EXPORT_PATH, params.handlers.traces],
      [LOGS_EXPORT_PATH, params.handlers.logs],
      [METRICS_EXPORT_PATH, params.handlers.metrics],
    ];
    for (const [path, handler] of services) {
      this.server.addService(rawExportService(path), { Export: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => this.export(handler, call, cb) });
    }
  }

  private export(handler: ExportHandler, call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void {
    const md = call.metadata;
    const first = (k: string): string | undefined => {
      const v = md.get(k)[0];
      return v === undefined ? undefined : String(v);
    };
    if (isGzip(call.request)) {
      const err = new AgtError('AGT_ERR_BAD_CONTENT_ENCODING', 'the message is gzip data but the request names no grpc-encoding: send grpc-encoding: gzip with compressed messages');
      handler.countRefused('grpc', err.code, err.message);
      reply(cb, toGrpcAnswer(failed(err)));
      return;
    }
    handler
      .handle({ credentials: { authorization: first('authorization'), apiKey: first('x-api-key') }, body: call.request, format: 'protobuf', transport: 'grpc' })
      .then((result) => reply(cb, toGrpcAnswer(result)))
      .catch((err: unknown) => {
        this.params.log.error({ err }, 'gRPC export failed unexpectedly');
        cb({ code: 13, details: 'AGT_ERR_INTERNAL: unexpected error' }, null);
      });
  }

  /** Binds; a port another process holds is AGT_ERR_PORT_IN_USE naming the address, field and variable. */
  async start(): Promise<{ port: number }> {
    const { host, port } = this.params;
    const probe = await probePort(host, port);
    if (!probe.free) throw portInUseError(GRPC, host, port, probe.cause);
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
        if (err === null) {
          this.widenWindows();
          resolve({ port: bound });
        } else reject(isAddressInUse(err) ? portInUseError(GRPC, host, port, err) : err);
      });
    });
  }

  /** Sets the receive windows on what bindAsync bound; says so when this grpc-js keeps its HTTP/2 servers elsewhere. */
  private widenWindows(): void {
    const { windows, log } = this.params;
    if (setReceiveWindows(this.server, windows) > 0) return;
    log.warn({ ...windows }, 'OTLP/gRPC: could not set the HTTP/2 receive windows (receive.grpc.streamWindowBytes, connectionWindowBytes) on this @grpc/grpc-js version; they stay 64 KiB, and large requests arrive slower');
  }

  /** Drains in-flight calls for up to graceMs, then forces the rest closed. */
  stop(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
