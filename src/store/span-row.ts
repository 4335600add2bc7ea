/** Row builder for the `spans` table (kept sessions' spans in the OTel exporter's otel_traces shape). */
import { NO_PROVIDER_CALL } from '../conventions/provider-call.js';
import type { NormalizedSpan, ProviderCall } from '../model/span.js';
import type { Decision, DetectorReport } from '../model/decision.js';
import { attrsToMap, costCell, nsCell, spanKindString, statusCodeString } from './cell-format.js';

/** The model a span is attributed to: the response model when reported, else the request model. */
export function spanModel(span: NormalizedSpan): string {
  return span.genai.responseModel ?? span.genai.requestModel ?? '';
}

/** The nested columns of a span without events or links: one shared empty list each (they are only serialized). */
const NONE: readonly never[] = Object.freeze([]);

/**
 * One `spans` row as an object by column (row-format.ts writes its line). `sessionId` is the session the span was grouped into; `resource` is the
 * span's resource attributes as a cell when the caller has them already (spans of one resource share the object).
 */
export function buildSpanRow(span: NormalizedSpan, sessionId: string, decision: Decision, resource?: Record<string, string>): Record<string, unknown> {
  const u = span.usage;
  const ev = span.events;
  const ln = span.links;
  const duration = span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n;
  return {
    Timestamp: nsCell(span.startTimeUnixNano),
    TraceId: span.traceId,
    SpanId: span.spanId,
    ParentSpanId: span.parentSpanId,
    TraceState: span.traceState,
    SpanName: span.name,
    SpanKind: spanKindString(span.kind),
    ServiceName: span.serviceName,
    ResourceAttributes: resource ?? attrsToMap(span.resourceAttributes),
    ScopeName: span.scopeName,
    ScopeVersion: span.scopeVersion,
    SpanAttributes: attrsToMap(span.attributes),
    Duration: duration.toString(),
    StatusCode: statusCodeString(span.statusCode),
    StatusMessage: span.statusMessage,
    'Events.Timestamp': ev.length === 0 ? NONE : ev.map((e) => nsCell(e.timeUnixNano)),
    'Events.Name': ev.length === 0 ? NONE : ev.map((e) => e.name),
    'Events.Attributes': ev.length === 0 ? NONE : ev.map((e) => attrsToMap(e.attributes)),
    'Links.TraceId': ln.length === 0 ? NONE : ln.map((l) => l.traceId),
    'Links.SpanId': ln.length === 0 ? NONE : ln.map((l) => l.spanId),
    'Links.TraceState': ln.length === 0 ? NONE : ln.map((l) => l.traceState),
    'Links.Attributes': ln.length === 0 ? NONE : ln.map((l) => attrsToMap(l.attributes)),
    TenantId: span.tenantId,
    SessionId: sessionId,
    GenAiOperation: span.genai.operation ?? '',
    GenAiProvider: span.genai.provider ?? '',
    GenAiModel: spanModel(span),
    GenAiAgent: span.genai.agentName ?? '',
    GenAiTool: span.genai.toolName ?? '',
    InputTokens: u?.inputTokens ?? 0,
    OutputTokens: u?.outputTokens ?? 0,
    CacheReadTokens: u?.cacheReadTokens ?? 0,
    CacheWriteTokens: u?.cacheWriteTokens ?? 0,
    ReasoningTokens: u?.reasoningTokens ?? 0,
    UsageRole: span.usageRole,
    UsageIncomplete: span.cost.usageIncomplete ?? '',
    CostUsd: span.cost.costUsd === null ? null : costCell(span.cost.costUsd),
    PriceVersion: span.cost.priceVersion,
    SampleWeight: decision.sampleWeight,
    SamplingReasons: decision.reasons,
    DetectorFlags: culpritFlags(decision.detectors, span.spanId),
    // Spans that made no provider call leave the columns to their defaults ('', 0, NULL): less JSON per row.
    ...(span.call === NO_PROVIDER_CALL ? null : providerCallCells(span.call)),
  };
}

/** The provider-call columns of a span that made one (migration 010). */
function providerCallCells(c: ProviderCall): Record<string, unknown> {
  return {
    ServerAddress: c.serverAddress,
    ServerPort: c.serverPort,
    Region: c.region,
    RegionSource: c.regionSource,
    TtftMs: c.ttftMs,
    Refusal: c.refusal ?? '',
    RetryAfterMs: c.retryAfterMs,
  };
}

/** The detectors that blame a span (empty for nearly every span). */
export function culpritFlags(report: DetectorReport | undefined, spanId: string): string[] {
  if (report === undefined || report.culprits.length === 0) return [];
  const out: string[] = [];
  for (const c of report.culprits) if (c.spanId === spanId && !out.includes(c.reason)) out.push(c.reason);
  return out;
}
