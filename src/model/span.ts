/** The normalized span: what decisions and ClickHouse rows need, whatever convention the client used. */
import type { Attributes, OtlpEvent, OtlpLink, SpanKindNumber, StatusCodeNumber } from './otlp-values.js';

/** Token counts. `inputTokens` is INCLUSIVE of cache read and cache write (GenAI semconv meaning). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export type UsageField = keyof Usage;

/** Every Usage field, in the order rows, sums and the decode workers' buffers take them. */
export const USAGE_FIELDS: readonly UsageField[] = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens'];

/**
 * The cache parts a model call did not report although its model's price has them (`usageIncompleteOf`,
 * docs/clients.md lists which clients send which fields). Such a call is priced as if nothing was cached.
 */
export type UsageIncomplete = 'cache_read' | 'cache_write' | 'cache_read+cache_write';

/**
 * How a span's usage counts:
 * - `call`: the span of an actual model call; its usage counts toward tokens and cost.
 * - `aggregate`: a wrapper (ai.generateText, invoke_agent, ...) carrying the sum of its children;
 *   kept for display and checked against the children, never counted.
 * - `none`: no usage on the span.
 */
export type UsageRole = 'call' | 'aggregate' | 'none';

export interface GenAiInfo {
  /** chat, text_completion, embeddings, execute_tool, invoke_agent, create_agent, workflow, evaluation, ... */
  operation: string | null;
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  agentName: string | null;
  agentId: string | null;
  toolName: string | null;
  toolCallId: string | null;
  toolType: string | null;
  /** Which conventions were recognised on the span (genai, openinference, openllmetry, vercel, langfuse). */
  conventions: string[];
}

export interface EvalResult {
  name: string;
  score: number | null;
  label: string | null;
  explanation: string | null;
  /** What was evaluated. At least one of the ids is set. */
  target: { sessionId: string | null; traceId: string | null; spanId: string | null };
  source: 'event' | 'attribute' | 'evaluator-span' | 'api' | 'log';
  timeUnixNano: bigint;
}

export interface SpanCost {
  /** USD; null when unknown (unknown model, or usage without a price). Never a silent 0. */
  costUsd: number | null;
  source: 'reported' | 'catalog' | 'unknown' | 'none';
  /** Catalog version used ('' when the cost was reported by the client or there was none). */
  priceVersion: string;
  /** The catalog's canonical name of the call's model (set by the pricing stage; absent when the catalog does not know it). */
  catalogModel?: string;
  /** Cache parts the call did not report although its price has them (pricing stage; absent when complete). */
  usageIncomplete?: UsageIncomplete;
  /** With `usageIncomplete`: how much `costUsd` may overstate the true cost at most (docs/clients.md, "Incomplete usage"). */
  overstatedUpToUsd?: number;
  /** With `usageIncomplete`: the input tokens that bound is computed from (uncached-priced, long enough to be cached). */
  cacheUnreportedInputTokens?: number;
}

export interface NormalizedSpan {
  tenantId: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: SpanKindNumber;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  statusCode: StatusCodeNumber;
  statusMessage: string;

  serviceName: string;
  resourceAttributes: Attributes;
  scopeName: string;
  scopeVersion: string;
  attributes: Attributes;
  events: OtlpEvent[];
  links: OtlpLink[];

  genai: GenAiInfo;
  /** Session id from the aliases on the span or its resource; null when none (the trace is its own session). */
  sessionId: string | null;
  userId: string | null;

  /** Usage reported on the span (null when none). */
  usage: Usage | null;
  usageRole: UsageRole;
  /** Usage fields the client did not report on a model-call span (e.g. streaming without counts). */
  usageMissing: UsageField[];
  /** Consistency problems found and recorded, never silently fixed (e.g. "cacheReadTokens>inputTokens"). */
  usageViolations: string[];
  cost: SpanCost;

  /** Error signals: status error, error.type, exception event, failed tool call. */
  isError: boolean;
  errorType: string | null;
  /**
   * Hash (32-bit FNV-1a) of a tool call's arguments as the client sent them, on execute_tool spans; null when
   * none were sent. The detectors compare calls by it (src/sampling/detectors/). Optional for hand-built spans.
   */
  toolArgsHash?: number | null;
  /** HTTP response status of a client request span (`http.response.status_code`); null when none. */
  httpStatus?: number | null;
  /** Endpoint, region, time to first token and refusal of the provider call (NO_PROVIDER_CALL when none). */
  call: ProviderCall;
  evals: EvalResult[];

  wireBytes: number;
  /** Protobuf only: where the Span message starts in its request body (its bytes run for `wireBytes`). */
  wireOffset?: number;
  /**
   * Set while the span is buffered without its attributes (all but those decisions read), events and links: the LSN
   * of the logged request they are read back from if the session is kept (src/sessions/span-detail.ts).
   */
  detailAt?: number;
}

/** An empty GenAiInfo, for spans with no GenAI attributes. */
export function emptyGenAi(): GenAiInfo {
  return {
    operation: null,
    provider: null,
    requestModel: null,
    responseModel: null,
    agentName: null,
    agentId: null,
    toolName: null,
    toolCallId: null,
    toolType: null,
    conventions: [],
  };
}

/** Why a provider refused a call. */
export type RefusalKind = 'rate_limited' | 'overloaded' | 'server_error';

/** Where a call's region came from (stored on spans as `RegionSource`). */
export type RegionSource = 'attribute' | 'config' | 'host' | 'resource' | 'none';

/** What a span says about the provider call it made. */
export interface ProviderCall {
  /** Host the call went to ('' when not reported). */
  serverAddress: string;
  /** Port (0 when not reported). */
  serverPort: number;
  /** Region the call ran in; 'unknown' when nothing says; '' on spans that are not calls. */
  region: string;
  regionSource: RegionSource;
  /** Provider the host names (aws.bedrock for a Bedrock host), or null. */
  hostProvider: string | null;
  /** Time to first token/chunk in ms, when the client reported it. */
  ttftMs: number | null;
  refusal: RefusalKind | null;
  httpStatus: number | null;
  retryAfterMs: number | null;
}
