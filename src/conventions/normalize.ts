/** OtlpSpan → NormalizedSpan through the alias table (src/conventions/aliases.ts). */
import { shareEmpty, type OtlpSpan } from '../otlp/types.js';
import { wireOffsetOf } from '../otlp/proto-span.js';
import { type Attributes } from '../model/otlp-values.js';
import type { GenAiInfo, NormalizedSpan, SpanCost, UsageField } from '../model/span.js';
import type { Registry } from 'prom-client';
import { closeAliasGate, conventionMask, openAliasGate } from './span-keys.js';
import { ALIASES, CONVENTION_PREFIXES, EXCLUSIVE_INPUT_SCOPES } from './aliases.js';
import { operationOf, readMarkers, usageRoleOf } from './classify.js';
import { extractEvals } from './evals.js';
import { ConventionsMetrics } from './metrics.js';
import { readString } from './read-attr.js';
import { readProviderCall } from './provider-call.js';
import { readReportedCostUsd } from './reported-cost.js';
import { EndpointRegions } from './region-table.js';
import { resolveSessionId, sessionPrecedence } from './session.js';
import { httpStatusOf, toolArgsHashOf } from './call-signals.js';
import { extractError } from './span-errors.js';
import { extractUsage } from './usage.js';

/** The resource's service name, as a list read like ALIASES (one constant, not an array per span). */
const SERVICE_NAME = ['service.name'] as const;

/** Maps spans of any supported convention onto the normalized span model. Stateless apart from config. */
export class Normalizer {
  private readonly precedence: string[];
  private readonly metrics: ConventionsMetrics | null;
  private readonly endpointRegions: EndpointRegions;

  /**
   * `registry`: where to create the normalization metrics (none when omitted, e.g. in tests).
   * `endpointRegions`: configured host → region map (src/conventions/region-table.ts).
   */
  constructor(params: { sessionPrecedence?: string[] | undefined; registry?: Registry; endpointRegions?: Record<string, string> | undefined } = {}) {
    this.precedence = sessionPrecedence(params.sessionPrecedence);
    this.endpointRegions = new EndpointRegions(params.endpointRegions);
    this.metrics = params.registry === undefined ? null : new ConventionsMetrics(params.registry);
  }

  /** The session aliases in the order they are tried. */
  get sessionAliases(): readonly string[] {
    return this.precedence;
  }

  /**
   * OtlpSpan → NormalizedSpan. cost is the span's REPORTED cost (source 'reported') when it carries one,
   * else {costUsd:null, source:'none', priceVersion:''}; the pricing stage fills catalog costs.
   */
  normalize(span: OtlpSpan, tenantId: string): NormalizedSpan {
    // Alias lists the span carries no name of are not looked up while it is read (span-keys.ts).
    openAliasGate(span.attributes, span.resource.attributes);
    let n: NormalizedSpan;
    try {
      n = this.read(span, tenantId);
    } finally {
      closeAliasGate();
    }
    this.count(n);
    return n;
  }

  /**
   * Counts what normalization found wrong or absent on `n` (no-op without a registry). normalize() counts the spans
   * it builds; spans normalized by a decode worker (which has no registry) are counted here on the main thread.
   */
  count(n: NormalizedSpan): void {
    if (this.metrics === null) return;
    // Indexed: a for-of over a frozen list (the shared empty one) allocates an iterator per call.
    const violations = n.usageViolations;
    for (let i = 0; i < violations.length; i++) this.metrics.usageViolations.inc({ violation: violations[i]! });
    const isCall = n.usageRole === 'call' || n.genai.operation === 'chat' || n.genai.operation === 'text_completion';
    if (isCall && n.usage === null) this.metrics.callsWithoutUsage.inc();
  }

  private read(span: OtlpSpan, tenantId: string): NormalizedSpan {
    const attrs = span.attributes;
    const res = span.resource.attributes;
    const markers = readMarkers(attrs);
    const genai = this.genAi(span, operationOf(markers));
    // Both throw SpanRejectError for a value no column can hold (value-checks.ts): read before anything is counted.
    const { usage, missing, violations } = extractUsage(attrs, { inputExclusive: EXCLUSIVE_INPUT_SCOPES.includes(span.scope.name) });
    const reportedCost = readReportedCostUsd(attrs);
    const usageRole = usageRoleOf(markers, usage !== null);
    const isCall = usageRole === 'call' || genai.operation === 'chat' || genai.operation === 'text_completion';
    // Missing fields matter only on model calls (a streamed call without counts, no cache figures...).
    // A shared list (usage.ts); no closure here: one capturing a local made V8 allocate a context on every call.
    const usageMissing = isCall ? missing : shareEmpty<UsageField>([]);
    const cost: SpanCost = reportedCost === null ? { costUsd: null, source: 'none', priceVersion: '' } : { costUsd: reportedCost, source: 'reported', priceVersion: '' };
    const { isError, errorType } = extractError(span, genai.operation === 'execute_tool');
    const serviceName = readString(res, SERVICE_NAME) ?? 'unknown_service';
    const wireOffset = wireOffsetOf(span);

    return {
      tenantId,
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      traceState: span.traceState,
      name: span.name,
      kind: span.kind,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      statusCode: span.status.code,
      statusMessage: span.status.message,
      serviceName,
      resourceAttributes: res,
      scopeName: span.scope.name,
      scopeVersion: span.scope.version,
      attributes: attrs,
      events: span.events,
      links: span.links,
      genai,
      sessionId: resolveSessionId(attrs, res, this.precedence),
      userId: readString(attrs, ALIASES.user) ?? readString(res, ALIASES.user),
      usage,
      usageRole,
      usageMissing,
      usageViolations: violations,
      cost,
      isError,
      errorType,
      toolArgsHash: toolArgsHashOf(attrs, genai.operation === 'execute_tool'),
      httpStatus: httpStatusOf(attrs),
      call: readProviderCall(attrs, res, span.events, { isCall, startTimeUnixNano: span.startTimeUnixNano, errorType, endpointRegions: this.endpointRegions }),
      evals: shareEmpty(extractEvals(span, genai.operation, markers.openinferenceKind)),
      wireBytes: span.wireBytes,
      ...(wireOffset === undefined ? {} : { wireOffset }),
    };
  }

  private genAi(span: OtlpSpan, operation: string | null): GenAiInfo {
    const a = span.attributes;
    const traceloopKind = readString(a, ALIASES.traceloopKind);
    const entity = readString(a, ALIASES.traceloopEntity);
    let toolName = readString(a, ALIASES.toolName);
    let agentName = readString(a, ALIASES.agentName);
    // OpenLLMetry names tools and agents only through the entity name of a typed span.
    if (toolName === null && traceloopKind === 'tool') toolName = entity;
    if (agentName === null && traceloopKind === 'agent') agentName = entity;
    const langfuseType = readString(a, ALIASES.langfuseType);
    if (toolName === null && langfuseType === 'tool') toolName = span.name;
    if (agentName === null && langfuseType === 'agent') agentName = span.name;
    return {
      operation,
      provider: readString(a, ALIASES.provider),
      requestModel: readString(a, ALIASES.requestModel),
      responseModel: readString(a, ALIASES.responseModel),
      agentName,
      agentId: readString(a, ALIASES.agentId),
      toolName,
      toolCallId: readString(a, ALIASES.toolCallId),
      toolType: readString(a, ALIASES.toolType),
      // Keys a decode left out (otlp/types.ts) still say which conventions the span follows.
      conventions: conventionsOf(a, span.attributesLeftOut ?? 0),
    };
  }
}

/** One shared, frozen list per combination of conventions (at most 2^5): spans hold the same array. */
const conventionLists = new Map<number, string[]>();

function conventionsOf(attrs: Attributes, leftOut: number): string[] {
  const mask = conventionMask(attrs) | leftOut;
  let list = conventionLists.get(mask);
  if (list === undefined) {
    list = Object.freeze(CONVENTION_PREFIXES.filter((_, i) => (mask & (1 << i)) !== 0).map((c) => c.convention)) as string[];
    conventionLists.set(mask, list);
  }
  return list;
}
