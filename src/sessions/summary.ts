/** Builds and extends a SessionSummary from spans (usage of `call` spans only, cost, tools, evals). */
import { sortByStart } from '../sampling/basis/sort-in-order.js';
import type { EvalResult, NormalizedSpan, Usage } from '../model/span.js';
import type { SessionSummary } from '../model/session.js';

/** Identity of a session a summary is started for. */
export interface SummaryIdentity {
  tenantId: string;
  sessionId: string;
  explicitSession: boolean;
  firstSeenMs: number;
}

/** An empty usage record. */
export function zeroUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

/** A summary of no spans. */
export function emptySummary(id: SummaryIdentity): SessionSummary {
  return {
    tenantId: id.tenantId,
    sessionId: id.sessionId,
    explicitSession: id.explicitSession,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    firstSeenMs: id.firstSeenMs,
    serviceNames: [],
    agentNames: [],
    models: [],
    providers: [],
    userId: null,
    traceIds: [],
    spanCount: 0,
    errorCount: 0,
    toolPath: [],
    usage: zeroUsage(),
    costUsd: 0,
    unpricedCalls: 0,
    callModels: [],
    usageIncompleteCalls: 0,
    costOverstatedUpToUsd: 0,
    evals: [],
    minEvalScore: null,
    bytes: 0,
  };
}

function addUnique(list: string[], value: string | null): void {
  if (value !== null && value !== '' && !list.includes(value)) list.push(value);
}

/**
 * Folds `spans` into a copy of `base`. Tool names of the new spans are appended in start-time order (late
 * spans of a decided session come after what was already summarised). `bytes` is added by the caller.
 */
export function extendSummary(base: SessionSummary, spans: readonly NormalizedSpan[], evals: readonly EvalResult[]): SessionSummary {
  const s: SessionSummary = {
    ...base,
    serviceNames: [...base.serviceNames],
    agentNames: [...base.agentNames],
    models: [...base.models],
    providers: [...base.providers],
    traceIds: [...base.traceIds],
    toolPath: [...base.toolPath],
    usage: { ...base.usage },
    evals: [...base.evals],
  };
  const callModels = [...(base.callModels ?? [])];
  let incompleteCalls = base.usageIncompleteCalls ?? 0;
  let overstatedUsd = base.costOverstatedUpToUsd ?? 0;
  const tools: NormalizedSpan[] = [];
  // Spans of a trace mostly come together: skip the list scan while the trace id repeats.
  let lastTraceId: string | null = null;
  for (const span of spans) {
    if (s.spanCount === 0 || span.startTimeUnixNano < s.startTimeUnixNano) s.startTimeUnixNano = span.startTimeUnixNano;
    if (span.endTimeUnixNano > s.endTimeUnixNano) s.endTimeUnixNano = span.endTimeUnixNano;
    s.spanCount += 1;
    addUnique(s.serviceNames, span.serviceName);
    addUnique(s.agentNames, span.genai.agentName);
    addUnique(s.models, span.genai.responseModel ?? span.genai.requestModel);
    addUnique(s.providers, span.genai.provider);
    if (span.traceId !== lastTraceId) {
      addUnique(s.traceIds, span.traceId);
      lastTraceId = span.traceId;
    }
    if (s.userId === null && span.userId !== null) s.userId = span.userId;
    if (span.isError) s.errorCount += 1;
    if (span.genai.operation === 'execute_tool' && span.genai.toolName !== null) tools.push(span);
    if (span.usageRole === 'call') {
      // Wrappers carry the sum of their calls: counting them too would double the tokens and the cost.
      const u = span.usage;
      if (u !== null) {
        s.usage.inputTokens += u.inputTokens;
        s.usage.outputTokens += u.outputTokens;
        s.usage.cacheReadTokens += u.cacheReadTokens;
        s.usage.cacheWriteTokens += u.cacheWriteTokens;
        s.usage.reasoningTokens += u.reasoningTokens;
      }
      if (span.cost.costUsd === null) s.unpricedCalls += 1;
      addUnique(callModels, span.cost.catalogModel ?? span.genai.responseModel ?? span.genai.requestModel);
      if (span.cost.usageIncomplete !== undefined) {
        incompleteCalls += 1;
        overstatedUsd += span.cost.overstatedUpToUsd ?? 0;
      }
    }
    if (span.usageRole !== 'aggregate' && span.cost.costUsd !== null) s.costUsd += span.cost.costUsd;
  }
  s.callModels = callModels;
  s.usageIncompleteCalls = incompleteCalls;
  s.costOverstatedUpToUsd = overstatedUsd;
  sortByStart(tools);
  for (const t of tools) s.toolPath.push(t.genai.toolName as string);
  for (const e of evals) {
    s.evals.push(e);
    if (e.score !== null && (s.minEvalScore === null || e.score < s.minEvalScore)) s.minEvalScore = e.score;
  }
  return s;
}
