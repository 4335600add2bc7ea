/**
 * What the collector says when it starts and when it stops: where it listens, where it keeps data and how durably,
 * and on shutdown what it decided, wrote and where the log stands — so an operator reads the state from two lines.
 */
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { VERSION } from '../version.js';

/** Loopback addresses: a receiver bound to one accepts no traffic from other hosts. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The start-up line's fields: version, bind addresses, store kind and place, WAL directory and durability. */
export function startupSummary(config: Config, ports: { grpcPort: number | null; httpPort: number | null }, walDir: string | null): Record<string, unknown> {
  const r = config.receive;
  const s = config.store;
  return {
    version: VERSION,
    grpc: r.grpc.enabled ? `${r.grpc.host}:${ports.grpcPort}` : 'off',
    http: r.http.enabled ? `${r.http.host}:${ports.httpPort}` : 'off',
    store: s.kind === 'embedded' ? { kind: s.kind, path: resolve(s.path), database: s.database } : { kind: s.kind, url: s.server.url, database: s.database },
    wal: walDir === null ? { durability: 'off' } : { durability: config.wal.durability, dir: resolve(walDir) },
    // Which rules run, never the secrets (docs/redaction.md).
    redaction: config.redaction.enabled
      ? { enabled: true, builtins: config.redaction.builtins, rules: config.redaction.rules.map((r) => r.name), tenants: Object.keys(config.redaction.tenants) }
      : { enabled: false },
  };
}

/** A warning when every enabled receiver listens on loopback only (the default), naming how to open it up; else null. */
export function loopbackNotice(config: Config): string | null {
  const r = config.receive;
  const hosts = [r.grpc.enabled ? r.grpc.host : null, r.http.enabled ? r.http.host : null].filter((h) => h !== null);
  if (hosts.length === 0 || !hosts.every((h) => LOOPBACK.has(h))) return null;
  return 'receivers listen on loopback only (the default): other hosts cannot send; set receive.grpc.host / receive.http.host (AGENTTAIL_CFG__RECEIVE__GRPC__HOST, AGENTTAIL_CFG__RECEIVE__HTTP__HOST) to 0.0.0.0 to accept them';
}

/** Sums a counter's values (every label set); 0 when the registry has no such metric. */
export async function counterTotal(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** The counters a shutdown reports as "what happened during shutdown" (after − before). */
const SHUTDOWN_COUNTERS = { sessionsDecided: 'agenttail_sessions_decided_total', rowsWritten: 'agenttail_store_rows_written_total' } as const;

/** Reads the shutdown counters now; call `delta()` after the flush for what the shutdown itself did. */
export async function shutdownBaseline(registry: Registry): Promise<{ delta(): Promise<Record<keyof typeof SHUTDOWN_COUNTERS, number>> }> {
  const read = async (): Promise<Record<keyof typeof SHUTDOWN_COUNTERS, number>> => ({
    sessionsDecided: await counterTotal(registry, SHUTDOWN_COUNTERS.sessionsDecided),
    rowsWritten: await counterTotal(registry, SHUTDOWN_COUNTERS.rowsWritten),
  });
  const before = await read();
  return {
    delta: async () => {
      const after = await read();
      return { sessionsDecided: after.sessionsDecided - before.sessionsDecided, rowsWritten: after.rowsWritten - before.rowsWritten };
    },
  };
}
