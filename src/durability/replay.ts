/**
 * What recovery drives (STYLE.md 20: restart has an address): the narrow interfaces through which the stages that log
 * take their records back, handed in by the composition root. Recovery reads the log twice — control records first
 * (decisions, batches, confirmations, checkpoints), then requests, evals and decisions in log order — and gives each
 * record to the stage that logged it. This folder imports none of those stages.
 */
import type { EvalResult } from '../model/span.js';
import type { WalRecord } from './wal/record-codec.js';

/** A decision record as logged (its decision and summary are the sessions stage's values). */
export type DecisionRecord = Extract<WalRecord, { type: 'decision' }>;
/** A logged trace Export request. */
export type RequestRecord = Extract<WalRecord, { type: 'request' }>;
/** A logged logs Export request. */
export type LogsRecord = Extract<WalRecord, { type: 'logs' }>;
/** A logged metrics Export request. */
export type MetricsRecord = Extract<WalRecord, { type: 'metrics' }>;

/** A batch logged before a crash without a confirmation: re-sent with the same token once its writes are rebuilt. */
export interface ReplayIntent {
  table: string;
  batchId: string;
  keys: string[];
}

/** What recovery knows about writes before replay rebuilds them. */
export interface ReplayPlan {
  /** Per table, the keys of writes confirmed in ClickHouse: rebuilt writes skip those tables. */
  confirmed: Map<string, Set<string>>;
  /** Batches logged but not confirmed. */
  intents: ReplayIntent[];
}

/** Everything that pins log records: the oldest LSN it still needs (MAX_SAFE_INTEGER when none). */
export interface PinSource {
  oldestPin(): number;
}

/** The sessions stage in recovery: decisions are reused, requests and evals placed again at their arrival times. */
export interface ReplayedSessions extends PinSource {
  /** Starts recovery with every logged decision (pass 1): later versions are reused, never re-made. */
  beginReplay(decisions: readonly { lsn: number; record: DecisionRecord }[]): void;
  replayDecision(lsn: number, record: DecisionRecord): void;
  /** Places a logged request again; false when it cannot be decoded again. */
  replayRequest(lsn: number, record: RequestRecord): boolean;
  replayEvals(lsn: number, tenantId: string, evals: EvalResult[]): void;
  endReplay(): Promise<void>;
  /** Sessions open after replay (for the report). */
  openSessions(): number;
}

/** The store in recovery and checkpoints. */
export interface ReplayedStore extends PinSource {
  beginReplay(plan: ReplayPlan): void;
  endReplay(): { resent: number; incomplete: number; missingWrites: number };
  readonly insertsFailing: boolean;
}

/** The logs stage in recovery and checkpoints (src/logs/log-replay.ts): replays logs requests, pins what it holds. */
export interface ReplayedLogs extends PinSource {
  /** Places a logged logs request again; false when it cannot be decoded again. */
  replayLogs(lsn: number, record: LogsRecord): boolean;
  /** A settled logs request (below the last checkpoint): not placed again, but its records are remembered as seen. */
  rememberLogs(lsn: number, record: LogsRecord): void;
  /** After the buffer's replay, before the store's: records whose sessions were decided during replay are released. */
  endReplay(): Promise<void> | void;
}

/** No logs stage: nothing to replay or pin. */
export const NO_LOGS: ReplayedLogs = { replayLogs: () => true, rememberLogs: () => undefined, endReplay: () => undefined, oldestPin: () => Number.MAX_SAFE_INTEGER };

/**
 * The metrics stage in recovery (src/metrics/metric-replay.ts): a logged metrics request not below the last checkpoint
 * is written again under the same write key, so the store skips it where confirmed and re-sends its logged batch
 * otherwise. Its writes pin the log through the store, so it pins nothing itself.
 */
export interface ReplayedMetrics {
  /** Writes a logged metrics request again; false when it cannot be decoded again. */
  replayMetrics(lsn: number, record: MetricsRecord): boolean;
}

/** No metrics stage: nothing to replay. */
export const NO_METRICS: ReplayedMetrics = { replayMetrics: () => true };

/** What recovery replays into, named. */
export interface RecoveryTargets {
  sessions: ReplayedSessions;
  store: ReplayedStore;
  logs?: ReplayedLogs;
  metrics?: ReplayedMetrics;
}
