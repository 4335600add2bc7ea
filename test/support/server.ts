/** Starts the whole collector (store, sampling, buffer, receivers, API) in-process on free ports and a temp dir. */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepMerge, parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { hashApiKey } from '../../src/receive/auth.js';
import { startServer, type RunningServer } from '../../src/main/lifecycle.js';
import { TEST_RECEIVE } from './collector.js';

export interface TestServer {
  server: RunningServer;
  config: Config;
  dir: string;
  /** host:port for gRPC clients. */
  grpcTarget: string;
  /** http://127.0.0.1:port */
  httpUrl: string;
  /** Shuts the collector down (idempotent) and removes the temp dir. */
  close(): Promise<void>;
}

/** Short idle timeouts and flush intervals so sessions are decided and written within a test's patience. */
export async function startTestServer(overrides: Record<string, unknown> = {}, opts: { log?: Logger } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'agt-server-'));
  const base = {
    dataDir: dir,
    store: { path: join(dir, 'clickhouse'), flushIntervalMs: 100 },
    sessions: { idleTimeoutMs: 200, sweepIntervalMs: 50 },
    receive: TEST_RECEIVE,
  };
  const config = parseConfig(deepMerge(base, overrides));
  const server = await startServer(config, opts.log ?? silentLogger());
  return {
    server,
    config,
    dir,
    grpcTarget: `127.0.0.1:${server.grpcPort}`,
    httpUrl: `http://127.0.0.1:${server.httpPort}`,
    close: async () => {
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Keys of the read-API tests: `key-acme` (tenant acme), `key-globex` (tenant globex), `key-admin` (tenant finance,
 * admin: reads every tenant). Merge into startTestServer's overrides.
 */
export const TENANT_KEYS = {
  receive: {
    keys: [
      { sha256: hashApiKey('key-acme'), tenant: 'acme' },
      { sha256: hashApiKey('key-globex'), tenant: 'globex' },
      { sha256: hashApiKey('key-admin'), tenant: 'finance', admin: true },
    ],
  },
};

/**
 * Stops a running server as a crash would leave things: receivers gone, nothing decided or flushed, the log closed
 * without a checkpoint (the restart tests then start another server on the same data directory).
 */
export async function crashInProcess(s: RunningServer): Promise<void> {
  await s.collector.shutdown(100);
  s.logs.shutdown();
  await s.durability!.wal.close();
  await s.store.shutdown({ abandon: true });
}

/** Every file under `dir` (the data directory searched for values that must not reach disk). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
