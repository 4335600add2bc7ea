/**
 * Warm start: teaches the learning policies (cost and latency quantiles per tenant + agent, rare-path counts) the
 * sessions already stored, so a restarted or new instance decides like a warm one from its first session. Runs at
 * start and every `refreshIntervalMs`; each run seeds only keys still cold here (fewer sessions than the warm-up),
 * and each key only with stored sessions newer than the last one it learned from the store (no session twice).
 */
import { Counter, type Registry } from 'prom-client';
import type { SharedConfig } from '../config/shared.js';
import type { Logger } from '../log.js';
import type { SessionSummary } from '../model/session.js';
import type { StoredKey, StoredSession } from '../store/history-reader.js';
import { LRUCache } from 'lru-cache';
import { agentKeyOf } from './policies/cost-outlier.js';
import type { SessionView } from '../model/session-view.js';
import type { Decision } from '../model/decision.js';

/** What warm start reads (src/store/history-reader.ts). */
export interface SessionHistory {
  keys(sinceMs: number, maxKeys: number): Promise<StoredKey[]>;
  sessions(keys: readonly StoredKey[], sinceMs: number, perKey: number, maxRows: number): Promise<StoredSession[]>;
}

/** What warm start teaches (the DecisionEngine). */
export interface LearningPolicies {
  isCold(tenantId: string, agentNames: readonly string[]): boolean;
  learn(view: SessionView, decided: Decision): void;
}

/** What one run did. */
export interface WarmStartReport {
  keysSeen: number;
  coldKeys: number;
  sessionsLearned: number;
}

/** Seeds the learning policies from stored sessions (see the file comment). */
export class WarmStart {
  private readonly learnedUpTo: LRUCache<string, { ms: number; sessionId: string }>;
  private readonly runs: Counter<'outcome'>;
  private readonly learned: Counter;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<WarmStartReport | null> | null = null;

  constructor(
    private readonly p: {
      config: SharedConfig['warmStart'];
      history: SessionHistory;
      policies: LearningPolicies;
      log: Logger;
      registry: Registry;
      now?: () => number;
    },
  ) {
    this.learnedUpTo = new LRUCache({ max: p.config.maxKeys });
    const registers = [p.registry];
    this.runs = new Counter({ name: 'agenttail_warm_start_runs_total', help: 'Warm-start runs (seeding from stored sessions), by outcome (ok / failed).', labelNames: ['outcome'], registers });
    this.learned = new Counter({ name: 'agenttail_warm_start_sessions_total', help: 'Stored sessions taught to the learning policies by warm start.', registers });
  }

  /** One run now (a run already in progress is joined); null when it failed (logged and counted). */
  run(): Promise<WarmStartReport | null> {
    this.running ??= this.once().finally(() => (this.running = null));
    return this.running;
  }

  /** The first run, waited for at most `startTimeoutMs` (it continues in the background past that), then the periodic runs. */
  async start(): Promise<WarmStartReport | null> {
    const first = this.run();
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), this.p.config.startTimeoutMs).unref());
    const report = await Promise.race([first, timeout]);
    if (this.timer === null) {
      this.timer = setInterval(() => void this.run(), this.p.config.refreshIntervalMs);
      this.timer.unref();
    }
    return report;
  }

  /** Stops the periodic runs and waits for one in progress. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async once(): Promise<WarmStartReport | null> {
    const { config, history, policies, log } = this.p;
    const sinceMs = (this.p.now ?? Date.now)() - config.windowMs;
    try {
      const keys = await history.keys(sinceMs, config.maxKeys);
      const cold = keys.filter((k) => policies.isCold(k.tenantId, k.agentNames));
      const report: WarmStartReport = { keysSeen: keys.length, coldKeys: cold.length, sessionsLearned: 0 };
      if (cold.length > 0) {
        for (const s of await history.sessions(cold, sinceMs, config.sessionsPerKey, config.maxRows)) {
          const key = agentKeyOf(s.tenantId, s.agentNames);
          const upTo = this.learnedUpTo.get(key);
          // Rows come in (decidedAt, session id) order: a row at or before the key's last one was learned by an earlier run.
          if (upTo !== undefined && (s.decidedAtMs < upTo.ms || (s.decidedAtMs === upTo.ms && s.sessionId <= upTo.sessionId))) continue;
          this.learnedUpTo.set(key, { ms: s.decidedAtMs, sessionId: s.sessionId });
          policies.learn(viewOf(s), decisionOf(s));
          report.sessionsLearned++;
        }
      }
      this.runs.inc({ outcome: 'ok' });
      this.learned.inc(report.sessionsLearned);
      if (report.sessionsLearned > 0) log.info(report, 'warm start: learning policies seeded from stored sessions');
      return report;
    } catch (err) {
      this.runs.inc({ outcome: 'failed' });
      log.warn({ err }, 'warm start failed: cold keys stay cold until the next run');
      return null;
    }
  }
}

/** The decision a stored session carries, as much as learning reads of it (drop-rule reasons, the time). */
function decisionOf(s: StoredSession): Decision {
  return { kept: false, reasons: s.reasons, sampleWeight: 0, trigger: 'idle', decidedAtMs: s.decidedAtMs };
}

/** A summary-only view of a stored session: the learning policies read only the summary (as on recovery). */
function viewOf(s: StoredSession): SessionView {
  const summary: SessionSummary = {
    tenantId: s.tenantId,
    sessionId: s.sessionId,
    explicitSession: true,
    startTimeUnixNano: 0n,
    endTimeUnixNano: s.durationNs,
    firstSeenMs: s.decidedAtMs,
    serviceNames: [],
    agentNames: s.agentNames,
    models: [],
    providers: [],
    userId: null,
    traceIds: s.traceIds,
    spanCount: 0,
    errorCount: 0,
    toolPath: s.toolPath,
    usage: { inputTokens: s.inputTokens, outputTokens: s.outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    costUsd: s.costUsd,
    unpricedCalls: 0,
    evals: [],
    minEvalScore: null,
    bytes: 0,
  };
  return { summary, spans: [] };
}
