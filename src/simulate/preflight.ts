/** Before sending anything: is the collector there? A refused connection fails in milliseconds instead of after retries. */
import { connect } from 'node:net';
import { CliError } from '../commands/cli-error.js';

/** How long a connection attempt may take before the address counts as unreachable. */
const CONNECT_TIMEOUT_MS = 3_000;

/** `host:port` of a gRPC target or an http(s) URL. */
function hostPort(address: string): { host: string; port: number } {
  if (/^https?:\/\//.test(address)) {
    const u = new URL(address);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  }
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/** Resolves when a TCP connection to `address` opens; a CliError naming the address (and `what` listens there) otherwise. */
export async function expectListening(address: string, what: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const { host, port } = hostPort(address);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new CliError(`${JSON.stringify(address)} is not host:port`);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (reason: string): void => {
      socket.destroy();
      reject(new CliError(`${reason} ${host}:${port} (${what}) — start the collector with npm start`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms from`));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ECONNREFUSED' ? 'nothing listening on' : `cannot reach (${err.code ?? err.message})`));
  });
}
