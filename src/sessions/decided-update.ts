/** Late spans and evals of an already-decided session: extend its summary, reconsider, next version. */
import type { EvalResult, NormalizedSpan } from '../model/span.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import type { DecisionEngine } from '../sampling/engine.js';
import type { Decision } from '../model/decision.js';
import { retainedBytes } from './memory.js';
import { extendSummary } from './summary.js';
import type { SessionWrite } from '../model/session.js';

/** What applying late data produced: the write to queue, and whether the decision became kept. */
export interface DecidedUpdate {
  write: SessionWrite;
  previous: Decision;
  upgraded: boolean;
}

/**
 * Applies late spans and/or evals to a decided session held in the cache; null when the cache no longer
 * knows the session (expired). The cache entry is replaced with the new summary, decision and version.
 */
export function updateDecided(p: {
  cache: DecisionCache;
  engine: DecisionEngine;
  tenantId: string;
  sessionId: string;
  spans: readonly NormalizedSpan[];
  evals: readonly EvalResult[];
  /** The decision to apply instead of reconsidering (recovery reuses decisions made before a crash). */
  recorded?: (version: number) => Decision | undefined;
  /** A kept decision another instance made for the session (src/shared/), applied instead of reconsidering. */
  adopted?: Decision;
}): DecidedUpdate | null {
  const entry = p.cache.get(p.tenantId, p.sessionId);
  if (entry === undefined) return null;
  const summary = extendSummary(entry.summary, p.spans, p.evals);
  for (const s of p.spans) summary.bytes += retainedBytes(s);
  const version = entry.version + 1;
  const recorded = p.recorded?.(version);
  const next = recorded ?? p.adopted ?? p.engine.reconsider(entry.decision, { summary, spans: p.spans });
  const decision = next ?? entry.decision;
  p.cache.set(p.tenantId, p.sessionId, { ...entry, decision, summary, version });
  for (const s of p.spans) p.cache.setTrace(p.tenantId, s.traceId, p.sessionId);
  // Late spans follow the (possibly upgraded) decision; a dropped session's late spans still count usage.
  const before = entry.summary.callModels ?? [];
  const newCallModels = (summary.callModels ?? []).filter((m) => !before.includes(m));
  const write: SessionWrite = { summary, decision, version, spans: [...p.spans], storeSpans: decision.kept, countUsage: true, newCallModels };
  if (entry.firstDecisionLsn !== undefined) write.firstDecisionLsn = entry.firstDecisionLsn;
  if (entry.decisionLsn !== undefined) write.pinLsn = entry.decisionLsn;
  return { write, previous: entry.decision, upgraded: next !== null && next.kept && !entry.decision.kept };
}
