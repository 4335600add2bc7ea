/** A session as the buffer hands it on: a running summary, and each write of it to the store. */
import type { EvalResult, NormalizedSpan, Usage } from './span.js';
import type { Decision } from './decision.js';

export interface SessionSummary {
  tenantId: string;
  /** The session id, or the trace id for a trace that carries none. */
  sessionId: string;
  /** False when the session is a bare trace (no session alias anywhere). */
  explicitSession: boolean;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** Wall clock of the first span's arrival, ms. */
  firstSeenMs: number;
  serviceNames: string[];
  agentNames: string[];
  models: string[];
  providers: string[];
  userId: string | null;
  traceIds: string[];
  spanCount: number;
  errorCount: number;
  /** Ordered tool names of execute_tool spans (by start time). */
  toolPath: string[];
  /** Sum of the usage of `call` spans only. */
  usage: Usage;
  /** Sum of known span costs. */
  costUsd: number;
  /** Model-call spans whose cost is unknown (unpriced model). */
  unpricedCalls: number;
  /** Canonical (catalog) models of the session's model calls, in the order first used. Optional: absent in summaries logged before it existed. */
  callModels?: string[];
  /** Model calls priced without a cache part their price has (`SpanCost.usageIncomplete`). */
  usageIncompleteCalls?: number;
  /** Σ of those calls' `overstatedUpToUsd`: how much `costUsd` may overstate the session's cost at most. */
  costOverstatedUpToUsd?: number;
  evals: EvalResult[];
  minEvalScore: number | null;
  bytes: number;
}

/** One write to the store for a session (STYLE.md 12: one row type per table, built in src/store/). */
export interface SessionWrite {
  summary: SessionSummary;
  decision: Decision;
  /** Increases with every write for the same session (ReplacingMergeTree version). */
  version: number;
  /** Spans new to the store in this write. */
  spans: NormalizedSpan[];
  /** Write `spans` to the spans table (the session is kept). */
  storeSpans: boolean;
  /** Count `spans`' usage in the rollups (false when re-writing spans already counted, e.g. an upgrade). */
  countUsage: boolean;
  /** Canonical models this write calls that earlier writes of the session did not (late writes; a first write: all). */
  newCallModels?: string[];
  /** LSN of the session's first decision record: with tenant, session and version it names this write across restarts. */
  firstDecisionLsn?: number;
  /**
   * A second write of the same version: 'backfill', an upgraded session's earlier spans read back from the log;
   * 'detail', a kept session's spans that were buffered lean, read back whole (src/sessions/span-detail.ts).
   */
  part?: 'backfill' | 'detail';
  /** Oldest log record needed to rebuild this write; the log keeps it until the write is in ClickHouse. */
  pinLsn?: number;
}
