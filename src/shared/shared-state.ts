/**
 * Sampling state shared through ClickHouse, wired once by the server: warm start of the learning policies from the
 * sessions table (src/sampling/warm-start.ts) and kept decisions shared between instances (decision-sharing.ts).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { DecisionEngine, KeptElsewhere } from '../sampling/engine.js';
import { WarmStart, type WarmStartReport } from '../sampling/warm-start.js';
import type { ClickHouseStore } from '../store/clickhouse-store.js';
import { HistoryReader } from '../store/history-reader.js';
import type { SessionStore } from '../model/session-store.js';
import { DecisionSharing, type FollowTarget } from './decision-sharing.js';
import { DecisionsTable } from './decisions-table.js';
import { KeptElsewhereMap } from './kept-elsewhere.js';
import { SharedMetrics } from './shared-metrics.js';
import { SharingStore } from './sharing-store.js';

/** Shutdown waits this long at most for the last publish (the shutdown deadline is shutdownTimeoutMs for everything). */
const CLOSE_TIMEOUT_MS = 2_000;

/** A default instance name: host, process id and a random suffix, in the characters the config allows. */
export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128);
}

/** Warm start and shared decisions; each one off when its config says so (then nothing is queried). */
export class SharedState {
  /** This instance's name in the decisions table. */
  readonly instanceId: string;
  /** What the engine consults when it would drop a session. */
  readonly keptElsewhere: KeptElsewhere;
  /** The store the session buffer writes to (publishes kept decisions when sharing is on). */
  readonly sessionStore: SessionStore;
  /** The first warm-start run's report (null before, when it failed or timed out, or when off). */
  warmStartReport: WarmStartReport | null = null;
  private readonly sharing: DecisionSharing | null;
  private warmStart: WarmStart | null = null;

  constructor(private readonly p: { config: Config; store: ClickHouseStore; registry: Registry; log: Logger }) {
    const { config, store } = p;
    this.instanceId = config.shared.instanceId ?? defaultInstanceId();
    const d = config.shared.decisions;
    const on = d.enabled === 'auto' ? config.store.kind === 'server' : d.enabled;
    // Registered either way, so /metrics lists the same series whatever the config (zero while off).
    const metrics = new SharedMetrics(p.registry);
    if (!on) {
      this.sharing = null;
      this.keptElsewhere = { weightOf: () => undefined };
      this.sessionStore = store;
      return;
    }
    const kept = new KeptElsewhereMap({ maxEntries: d.maxSeen, ttlMs: config.sampling.decisionCache.ttlMs, onFollowed: () => metrics.followed.inc() });
    const table = new DecisionsTable({ client: store.client, database: store.database, instanceId: this.instanceId });
    const sharing = (this.sharing = new DecisionSharing({ config: d, table, kept, metrics, log: p.log }));
    this.keptElsewhere = kept;
    this.sessionStore = new SharingStore(store, (t, s, decision) => sharing.offer(t, s, decision));
  }

  /** After recovery: seeds the engine (waits at most warmStart.startTimeoutMs), then starts sharing with the buffer. */
  async start(engine: DecisionEngine, buffer: FollowTarget): Promise<void> {
    const w = this.p.config.shared.warmStart;
    if (w.enabled) {
      const history = new HistoryReader({ client: this.p.store.client, database: this.p.store.database });
      this.warmStart = new WarmStart({ config: w, history, policies: engine, log: this.p.log, registry: this.p.registry });
      this.warmStartReport = await this.warmStart.start();
    }
    await this.sharing?.start(buffer);
    this.p.log.info({ instanceId: this.instanceId, sharedDecisions: this.sharing !== null, warmStart: this.warmStartReport }, 'shared sampling state started');
  }

  /** Runs one sharing round now (tests and benches). */
  async tick(): Promise<void> {
    await this.sharing?.tick();
  }

  /** Stops the periodic work and publishes what is queued, waiting at most CLOSE_TIMEOUT_MS (ClickHouse may be down). */
  async shutdown(): Promise<void> {
    const closing = (async () => {
      await this.warmStart?.close();
      await this.sharing?.close();
    })();
    const late = await Promise.race([closing.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), CLOSE_TIMEOUT_MS).unref())]);
    if (late) this.p.log.warn('shared state not closed in time (ClickHouse slow or down): queued kept decisions not published');
  }
}
