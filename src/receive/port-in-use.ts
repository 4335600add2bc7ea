/**
 * A receiver port another process holds: one line saying which address, which config field and environment variable
 * set it, and how to choose another, instead of grpc-js's `No address added out of total 1 resolved errors` and a
 * stack (issue 25).
 */
import { createServer } from 'node:net';
import { envNameFor } from '../config/env.js';
import { AgtError } from '../model/errors.js';

/** Which receiver: its config section under `receive`, and its name for people. */
export type Receiver = { section: 'grpc'; label: 'OTLP/gRPC' } | { section: 'http'; label: 'OTLP/HTTP and API' };

/** AGT_ERR_PORT_IN_USE for `receiver` at host:port. */
export function portInUseError(receiver: Receiver, host: string, port: number, cause?: unknown): AgtError {
  const field = `receive.${receiver.section}.port`;
  return new AgtError(
    'AGT_ERR_PORT_IN_USE',
    `${host}:${port} (${receiver.label}) is already in use by another process; choose another port with ${field} in the config file or ${envNameFor(['receive', receiver.section, 'port'])}=<port> (0 = any free port)`,
    { cause },
  );
}

/** True when a listen failed because the address is taken (Node's EADDRINUSE, as grpc-js quotes it in its message too). */
export function isAddressInUse(err: unknown): boolean {
  return (err as { code?: string }).code === 'EADDRINUSE' || /EADDRINUSE/.test((err as Error).message ?? '');
}

/**
 * Resolves when host:port can be listened on now. grpc-js logs its own error line before failing a bind, so the gRPC
 * receiver asks first; a port taken between this probe and the bind still fails, as isAddressInUse.
 */
export function probePort(host: string, port: number): Promise<{ free: true } | { free: false; cause: unknown }> {
  if (port === 0) return Promise.resolve({ free: true });
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (cause) => resolve(isAddressInUse(cause) ? { free: false, cause } : { free: true }));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve({ free: true })));
  });
}

/**
 * Fails with AGT_ERR_PORT_IN_USE before anything is opened when a receiver's port is held by another process. The
 * process would otherwise open the embedded engine first (recovery comes before listening), and a process that
 * exits right after the engine started can hang or crash in the engine's own teardown (measured: 4 of 30 concurrent
 * failed starts hung past 40 s, one ended by SIGSEGV). The binds themselves still check (a port taken in between).
 */
export async function checkReceiverPorts(receive: { grpc: { enabled: boolean; host: string; port: number }; http: { enabled: boolean; host: string; port: number } }): Promise<void> {
  const receivers = [
    { section: 'grpc', label: 'OTLP/gRPC', ...receive.grpc },
    { section: 'http', label: 'OTLP/HTTP and API', ...receive.http },
  ] as const;
  for (const r of receivers) {
    if (!r.enabled) continue;
    const probe = await probePort(r.host, r.port);
    if (!probe.free) throw portInUseError(r, r.host, r.port, probe.cause);
  }
}
