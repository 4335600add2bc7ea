/**
 * The one lifecycle of the process over the parts src/main/compose.ts built. Start: recover (the buffer and the
 * store hold what the log says before anything is accepted) → timers (checkpoints, shared decisions, the sweep, the
 * log joiner, the receive guards) → listen. Stop: the reverse — stop listening, decide what is open, flush, close.
 */
import type { Config } from '../config/schema.js';
import type { Durability, RecoveryReport } from '../durability/durability.js';
import { loopbackNotice, shutdownBaseline, startupSummary } from './lifecycle-log.js';
import type { Logger } from '../log.js';
import type { LogJoiner } from '../logs/log-joiner.js';
import type { SessionBuffer } from '../sessions/session-buffer.js';
import type { SharedState } from '../shared/shared-state.js';
import type { ClickHouseStore } from '../store/clickhouse-store.js';
import type { Collector } from './collector.js';
import { checkReceiverPorts } from '../receive/port-in-use.js';
import { compose, type Parts } from './compose.js';

export interface RunningServer {
  grpcPort: number | null;
  httpPort: number | null;
  collector: Collector;
  buffer: SessionBuffer;
  /** The logs stage: joins log records to sessions. */
  logs: LogJoiner;
  store: ClickHouseStore;
  /** The write-ahead log stage; null when `wal.durability` is `off`. */
  durability: Durability | null;
  /** What recovery replayed on start (null without the log). */
  recovery: RecoveryReport | null;
  /** Warm start and shared decisions (src/shared/). */
  shared: SharedState;
  /** Stops accepting, decides open sessions, flushes the store; idempotent. */
  shutdown(): Promise<void>;
}

/** Builds the process (compose) and starts it: recover → timers → listen. */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  // A port another process holds fails the start before the engine and the log are opened.
  await checkReceiverPorts(config.receive);
  const parts = await compose(config, log);
  const { durability, shared, engine, buffer, logs, collector, replay, walDir } = parts;
  let recovery: RecoveryReport | null;
  let ports: { grpcPort: number | null; httpPort: number | null };
  try {
    // Recovery runs before anything is accepted: the buffer and the store must hold what the log says first.
    recovery = durability === null ? null : await durability.recover(replay);
    durability?.start(replay);
    await shared.start(engine, buffer);
    buffer.start();
    logs.start();
    parts.idleGc.start();
    ports = await collector.start();
  } catch (err) {
    await abandon(parts);
    throw err;
  }
  const { grpcPort, httpPort } = ports;
  log.info(startupSummary(config, { grpcPort, httpPort }, walDir), 'agenttail started');
  const notice = loopbackNotice(config);
  if (notice !== null) log.warn(notice);

  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> => (stopping ??= stop(parts));
  return { grpcPort, httpPort, collector, buffer, store: parts.store, durability, recovery, shared, logs, shutdown };
}

/**
 * A start that failed (a port in use, an unreadable log): what it opened is closed as a crash would leave it — the
 * store's engine and the log's file, nothing decided or flushed — so the process exits cleanly (the embedded engine
 * must not be torn down mid-statement) and the next start recovers from the log as usual.
 */
async function abandon(parts: Parts): Promise<void> {
  const { insertHold, logs, durability, store, log } = parts;
  parts.idleGc.stop();
  insertHold?.stop();
  logs.shutdown();
  await durability?.wal.close().catch((err: unknown) => log.warn({ err }, 'log not closed after a failed start'));
  await store.shutdown({ abandon: true }).catch((err: unknown) => log.warn({ err }, 'store not closed after a failed start'));
}

/** Stop, the reverse of start: receivers, then the sweep's last decisions, the log joiner, the store, the log. */
async function stop(parts: Parts): Promise<void> {
  const { config, log, registry, collector, buffer, shared, logs, store, durability, insertHold } = parts;
  const deadline = Date.now() + config.shutdownTimeoutMs;
  log.info('shutting down: refusing new data, deciding open sessions, flushing the store');
  // The last rows must go in before the deadline, whatever RSS is.
  insertHold?.stop();
  parts.idleGc.stop();
  const baseline = await shutdownBaseline(registry);
  await collector.shutdown(Math.min(5_000, config.shutdownTimeoutMs));
  await buffer.shutdown();
  await shared.shutdown();
  // Sessions decided by the drain release their held log records before the store's last flush.
  logs.sweep();
  await logs.settled();
  logs.shutdown();
  // With the log, writes ClickHouse cannot take before the deadline stay in the log for the next start.
  const flushed = await Promise.race([store.forceFlush().then(() => true), sleep(Math.max(0, deadline - Date.now() - 500)).then(() => false)]);
  if (!flushed) log.warn({ outstandingWrites: store.outstandingWrites }, 'store not flushed before the shutdown deadline; unwritten data stays in the log');
  const unwrittenBatches = flushed ? 0 : store.outstandingWrites;
  await durability?.shutdown();
  await store.shutdown(flushed ? undefined : { abandon: true });
  const wal = durability === null ? { durability: 'off' } : { endLsn: durability.wal.endLsn, diskBytes: durability.wal.diskBytes };
  log.info({ ...(await baseline.delta()), unwrittenBatches, wal }, 'shutdown complete');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
