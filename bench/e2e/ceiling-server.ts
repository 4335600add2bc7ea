/**
 * The transport ceiling: a minimal @grpc/grpc-js server that accepts TraceService/Export as raw bytes and
 * answers the empty ExportTraceServiceResponse (zero bytes), doing nothing else. Run as a child process by
 * bench/e2e.ts; prints `{"port":N}` on stdout once bound and exits on SIGTERM.
 * With `--windows` it raises its HTTP/2 receive windows as the collector's receiver does (its defaults,
 * src/receive/grpc-flow-control.ts); without, it keeps grpc-js's 64 KiB.
 */
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { parseConfig } from '../../src/config/load.js';
import { rawTraceService } from '../../src/otlp/trace-service.js';
import { receiveWindows, setReceiveWindows, type ReceiveWindows } from '../../src/receive/grpc-flow-control.js';

const EMPTY = Buffer.alloc(0);

/** The collector's default receive windows. */
export function collectorWindows(): ReceiveWindows {
  return receiveWindows(parseConfig({}).receive.grpc);
}

/**
 * Binds the ceiling server on host:port (0 = any free port), with `windows` if given; resolves with the bound port and
 * a stop function.
 */
export function startCeilingServer(host = '127.0.0.1', port = 0, windows?: ReceiveWindows): Promise<{ port: number; stop: () => void }> {
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(rawTraceService, { Export: (_call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => cb(null, EMPTY) });
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) return reject(err);
      if (windows !== undefined && setReceiveWindows(server, windows) === 0) return reject(new Error('ceiling server: could not set the receive windows'));
      resolve({ port: bound, stop: () => server.forceShutdown() });
    });
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])) {
  startCeilingServer('127.0.0.1', 0, process.argv.includes('--windows') ? collectorWindows() : undefined).then(
    ({ port, stop }) => {
      process.stdout.write(JSON.stringify({ port }) + '\n');
      process.on('SIGTERM', () => {
        stop();
        process.exit(0);
      });
    },
    (err: unknown) => {
      process.stderr.write(`ceiling server: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
