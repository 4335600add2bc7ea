/**
 * HTTP/2 receive windows of the OTLP/gRPC receiver.
 *
 * HTTP/2 lets a client send only as many bytes as the receiver's windows allow, one per stream and one per connection,
 * 65,535 bytes each unless the receiver raises them. grpc-go and gRPC C-core servers raise theirs as they measure the
 * link (BDP estimation, up to 16 MiB). A @grpc/grpc-js server (1.14) keeps 64 KiB. A ~500 KiB Export request then takes
 * about eight round trips of WINDOW_UPDATE frames. Each one is sent only when the main thread returns to the socket, and
 * it stays away for milliseconds while it reads the request before. Measured on e2e (`bench/e2e.ts`, 16 calls in
 * flight, the generator on the same 2 cores, three alternating pairs): 31.5–34.5K spans/s with 4 MiB / 16 MiB against
 * 30.4–31.8K with 64 KiB; the main thread's CPU per span 20.2–22.3 against 22.1–23.1 µs. Across a network, 64 KiB per
 * round trip caps a connection at 64 KiB ÷ RTT (6.4 MB/s at 10 ms). Node itself later raised its HTTP/2 defaults to
 * 4 MB per stream and 32 MB per connection for that reason (nodejs/node#64623); Node 20 keeps 64 KiB.
 *
 * A bigger window does not add memory a client could take anyway: grpc-js reads a whole message (up to
 * `receive.grpc.maxMessageBytes`) before the handler runs, and pauses the stream after it.
 *
 * grpc-js builds its HTTP/2 servers itself, and passes only `maxConcurrentStreams` to them. So the windows are set on
 * the servers it has bound: the stream window as the servers' initial setting, and the connection window on each new
 * session. It reads grpc-js's private `http2Servers` map. When that map is missing (another grpc-js version), this
 * returns 0 and the receiver logs a warning. `test/integration/receive-grpc-flow-control.test.ts` (in process) and
 * `receive-grpc-windows-process.test.ts` (the built collector) check, against the pinned version, that a client sees
 * both windows.
 */
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/** The windows a client may fill before it waits for the receiver (bytes). */
export interface ReceiveWindows {
  /** Each stream's initial window (SETTINGS_INITIAL_WINDOW_SIZE): how much of one request may be in flight. */
  streamBytes: number;
  /** The connection's window: how much of all the connection's requests together may be in flight. */
  connectionBytes: number;
}

/** The windows a receiver's config section sets (`receive.grpc`). */
export function receiveWindows(grpc: { streamWindowBytes: number; connectionWindowBytes: number }): ReceiveWindows {
  return { streamBytes: grpc.streamWindowBytes, connectionBytes: grpc.connectionWindowBytes };
}

/**
 * Sets the receive windows on every HTTP/2 server `server` has bound; call it after bindAsync. Returns the number of
 * HTTP/2 servers set (0: grpc-js keeps its servers elsewhere in this version, and the windows stay HTTP/2's default).
 */
export function setReceiveWindows(server: Server, windows: ReceiveWindows): number {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) return 0;
  let set = 0;
  for (const h2 of servers.keys() as IterableIterator<Http2Server>) {
    if (typeof h2?.updateSettings !== 'function') continue;
    h2.updateSettings({ initialWindowSize: windows.streamBytes });
    h2.on('session', (session: ServerHttp2Session) => openConnectionWindow(session, windows.connectionBytes));
    set++;
  }
  return set;
}

/** Raises the connection's window (a WINDOW_UPDATE on stream 0); a session already closing is left as it is. */
function openConnectionWindow(session: ServerHttp2Session, bytes: number): void {
  if (session.destroyed || session.closed) return;
  session.setLocalWindowSize(bytes);
}
