/** Row builder for the `sessions` table (one row per session write, ReplacingMergeTree by Version). */
import type { SessionWrite } from '../model/session.js';
import { costCell, nsCell } from './cell-format.js';
import { detectorCells } from './detector-cells.js';

/** One `sessions` row as an object by column (row-format.ts writes its line). */
export function buildSessionRow(w: SessionWrite): Record<string, unknown> {
  const s = w.summary;
  const d = w.decision;
  const duration = s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n;
  return {
    TenantId: s.tenantId,
    SessionId: s.sessionId,
    ExplicitSession: s.explicitSession,
    StartTime: nsCell(s.startTimeUnixNano),
    EndTime: nsCell(s.endTimeUnixNano),
    DurationNs: duration.toString(),
    ServiceNames: s.serviceNames,
    AgentNames: s.agentNames,
    Models: s.models,
    Providers: s.providers,
    UserId: s.userId ?? '',
    TraceIds: s.traceIds,
    TraceCount: s.traceIds.length,
    SpanCount: s.spanCount,
    ErrorCount: s.errorCount,
    ToolPath: s.toolPath,
    InputTokens: s.usage.inputTokens,
    OutputTokens: s.usage.outputTokens,
    CacheReadTokens: s.usage.cacheReadTokens,
    CacheWriteTokens: s.usage.cacheWriteTokens,
    ReasoningTokens: s.usage.reasoningTokens,
    CostUsd: costCell(s.costUsd),
    UnpricedCalls: s.unpricedCalls,
    UsageIncompleteCalls: s.usageIncompleteCalls ?? 0,
    CostOverstatedUpToUsd: costCell(s.costOverstatedUpToUsd ?? 0),
    MinEvalScore: s.minEvalScore,
    Kept: d.kept,
    Reasons: d.reasons,
    SampleWeight: d.sampleWeight,
    DecisionTrigger: d.trigger,
    DecidedAt: String(Math.round(d.decidedAtMs)),
    Version: w.version,
    Bytes: s.bytes,
    ...detectorCells(d),
  };
}
