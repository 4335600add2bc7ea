/**
 * Decisions outlive their sessions in the buffer, so later spans of a decided session follow the decision
 * and late evals can upgrade it. Bounded by TTL, entry count and estimated heap bytes (lru-cache, entry-bytes.ts);
 * a bare trace id also resolves to the session it was decided in.
 */
import { LRUCache } from 'lru-cache';
import type { SessionSummary } from '../model/session.js';
import type { Decision } from '../model/decision.js';
import { compactDecision, compactSummary, Interner } from './compact-entry.js';
import { sessionEntryBytes, traceLinkBytes } from './entry-bytes.js';

/** What the cache holds per decided session. */
export interface CachedSession {
  decision: Decision;
  summary: SessionSummary;
  /** The last version written for the session (ReplacingMergeTree version). */
  version: number;
  /** With the write-ahead log: LSN of the session's first decision record (names its writes across restarts). */
  firstDecisionLsn?: number;
  /** With the log: LSN of the latest decision record (a later write needs the log from here to be rebuilt). */
  decisionLsn?: number;
  /** With the log: request records that carried the session's spans (read back to upgrade a dropped session). */
  requestLsns?: number[];
}

export interface DecisionCacheParams {
  ttlMs: number;
  maxEntries: number;
  /**
   * Estimated heap bytes held (entry-bytes.ts): decided sessions up to 5/8 of it, trace links up to 3/8 (their
   * share of the estimate with two traces a session). Absent: bounded by count only.
   */
  maxBytes?: number;
  /** Monotonic clock in ms for TTLs (tests inject one); performance.now() when absent. */
  now?: () => number;
}

// NUL cannot appear in a tenant id from a header or key config, so the pair is unambiguous.
function keyOf(tenantId: string, id: string): string {
  return `${tenantId}\u0000${id}`;
}

/** An LRU of decided sessions (and trace → session links), each expiring `ttlMs` after it was last set. */
export class DecisionCache {
  private readonly sessions: LRUCache<string, CachedSession>;
  private readonly traces: LRUCache<string, string>;
  private readonly intern = new Interner();
  private readonly maxEntries: number;
  private evicted = 0;

  constructor(params: DecisionCacheParams) {
    const clock = params.now;
    // lru-cache reads a start time of 0 as "no TTL", so an injected clock starting at 0 is shifted by 1 ms
    // (TTLs are relative, the shift changes nothing else).
    const perf = clock === undefined ? undefined : { now: () => clock() + 1 };
    // ttlResolution 0: an injected clock must be read on every check, not cached for a millisecond.
    // The count is bounded by hand (set() pops the least recently used past maxEntries) rather than with `max`,
    // which allocates its arrays up front (≈ 90 MB for two caches of 1 000 000 entries before the first decision).
    const maxBytes = params.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const common = { ttl: params.ttlMs, ttlResolution: 0, updateAgeOnGet: false, ...(perf ? { perf } : {}) };
    this.maxEntries = params.maxEntries;
    this.sessions = new LRUCache<string, CachedSession>({
      ...common,
      maxSize: Math.max(1, Math.floor((maxBytes * 5) / 8)),
      sizeCalculation: (e, key) => sessionEntryBytes(e, key),
      dispose: (_e, _key, reason) => {
        if (reason === 'evict') this.evicted += 1;
      },
    });
    this.traces = new LRUCache<string, string>({ ...common, maxSize: Math.max(1, Math.floor((maxBytes * 3) / 8)), sizeCalculation: (_s, key) => traceLinkBytes(key) });
  }

  /** The cached decision of a session, or undefined when unknown or expired. */
  get(tenantId: string, sessionId: string): CachedSession | undefined {
    return this.sessions.get(keyOf(tenantId, sessionId));
  }

  /**
   * Caches (or replaces) a session's decision; its TTL starts again. What is held is an equal copy in compact form
   * (compact-entry.ts): names and lists shared between entries, so `entry` itself is not kept.
   */
  set(tenantId: string, sessionId: string, entry: CachedSession): void {
    const held: CachedSession = { ...entry, decision: compactDecision(entry.decision, this.intern), summary: compactSummary(entry.summary, this.intern) };
    this.sessions.set(keyOf(tenantId, sessionId), held);
    while (this.sessions.size > this.maxEntries) this.sessions.pop();
  }

  /** Also resolve a bare trace id to the session it was decided in. */
  setTrace(tenantId: string, traceId: string, sessionId: string): void {
    this.traces.set(keyOf(tenantId, traceId), sessionId);
    while (this.traces.size > this.maxEntries) this.traces.pop();
  }

  /** The session a trace was decided in, or undefined when unknown or expired. */
  sessionOfTrace(tenantId: string, traceId: string): string | undefined {
    return this.traces.get(keyOf(tenantId, traceId));
  }

  /** Decided sessions held (expired entries may count until they are next touched or purged). */
  get size(): number {
    return this.sessions.size;
  }

  /** Estimated heap bytes held (entry-bytes.ts): decided sessions and trace links. */
  get bytes(): number {
    return this.sessions.calculatedSize + this.traces.calculatedSize;
  }

  /** Decided sessions evicted to stay under maxEntries or maxBytes (not those expired). */
  get evictedSessions(): number {
    return this.evicted;
  }

  /** Removes expired entries now (otherwise they go lazily or when evicted by size). */
  purgeStale(): void {
    this.sessions.purgeStale();
    this.traces.purgeStale();
  }
}
