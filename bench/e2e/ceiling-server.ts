/**
 * The transport ceiling: a minimal @grpc/grpc-js server that accepts TraceService/Export as raw bytes and
 * answers the empty ExportTraceServiceResponse (zero bytes), doing nothing else. Run as a child process by
 * bench/e2e.ts; prints `{"port":N}` on stdout once bound and exits on SIGTERM.
 */
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { rawTraceService } from '../../src/otlp/trace-service.js';

const EMPTY = Buffer.alloc(0);

/** Binds the ceiling server on host:port (0 = any free port); resolves with the bound port and a stop function. */
export function startCeilingServer(host = '127.0.0.1', port = 0): Promise<{ port: number; stop: () => void }> {
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(rawTraceService, { Export: (_call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => cb(null, EMPTY) });
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) return reject(err);
      resolve({ port: bound, stop: () => server.forceShutdown() });
    });
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])) {
  startCeilingServer().then(
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
