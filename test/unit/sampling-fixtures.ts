/** Builders of sessions for the sampling tests (not a test file). */
import { NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import { emptyGenAi, type EvalResult, type NormalizedSpan } from '../../src/model/span.js';
import { samplingSchema, type SamplingConfig, type SamplingConfigInput } from '../../src/config/sampling.js';
import type { SessionView } from '../../src/model/session-view.js';
import type { SessionSummary } from '../../src/model/session.js';

const T0 = 1_700_000_000_000_000_000n;

/** A parsed sampling config with overrides. */
export function samplingConfig(input: SamplingConfigInput = {}): SamplingConfig {
  return samplingSchema.parse(input);
}

/** A span with sensible defaults. */
export function span(over: Partial<NormalizedSpan> = {}): NormalizedSpan {
  return {
    tenantId: 't1',
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: '',
    traceState: '',
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 1_000_000_000n,
    statusCode: 0,
    statusMessage: '',
    serviceName: 'svc',
    resourceAttributes: {},
    scopeName: 'scope',
    scopeVersion: '1',
    attributes: {},
    events: [],
    links: [],
    genai: emptyGenAi(),
    sessionId: null,
    userId: null,
    usage: null,
    usageRole: 'none',
    usageMissing: [],
    usageViolations: [],
    cost: { costUsd: null, source: 'none', priceVersion: '' },
    isError: false,
    errorType: null,
    call: NO_PROVIDER_CALL,
    evals: [],
    wireBytes: 200,
    ...over,
  };
}

/** A session summary with sensible defaults (one agent, no tools, small cost, 2 s long). */
export function summary(over: Partial<SessionSummary> = {}): SessionSummary {
  return {
    tenantId: 't1',
    sessionId: 's1',
    explicitSession: true,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 2_000_000_000n,
    firstSeenMs: 1_700_000_000_000,
    serviceNames: ['svc'],
    agentNames: ['support'],
    models: ['gpt-4o'],
    providers: ['openai'],
    userId: null,
    traceIds: ['a'.repeat(32)],
    spanCount: 1,
    errorCount: 0,
    toolPath: [],
    usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    costUsd: 0.01,
    unpricedCalls: 0,
    evals: [],
    minEvalScore: null,
    bytes: 200,
    ...over,
  };
}

/** A view of one summary and its spans (one default span when none given). */
export function view(over: Partial<SessionSummary> = {}, spans?: NormalizedSpan[]): SessionView {
  const s = summary(over);
  return { summary: s, spans: spans ?? [span({ tenantId: s.tenantId })] };
}

/** An eval result on a session. */
export function evalResult(over: Partial<EvalResult> = {}): EvalResult {
  return {
    name: 'helpfulness',
    score: 0.9,
    label: null,
    explanation: null,
    target: { sessionId: 's1', traceId: null, spanId: null },
    source: 'api',
    timeUnixNano: T0,
    ...over,
  };
}

/** Every policy off, baseline 0, budget off: switch on only what a test looks at. */
export function quietConfig(input: SamplingConfigInput = {}): SamplingConfigInput {
  return {
    baselineRate: 0,
    ...input,
    policies: {
      error: { enabled: false },
      rarePath: { enabled: false },
      costOutlier: { enabled: false },
      lowEval: { enabled: false },
      latency: { enabled: false },
      baseline: { enabled: false },
      detectors: Object.fromEntries(['toolLoop', 'retryStorm', 'duplicateToolCall', 'budgetRace', 'stalled', 'runaway', 'cacheCollapse', 'cacheChurn'].map((d) => [d, { enabled: false }])),
      ...input.policies,
    },
    budget: { enabled: false, ...input.budget },
  };
}

/** An execute_tool span of `tool` in trace `traceId`, starting `atMs` after T0. */
export function toolSpan(traceId: string, tool: string, atMs: number, agentName: string | null = null): NormalizedSpan {
  const start = T0 + BigInt(atMs) * 1_000_000n;
  return span({
    traceId,
    spanId: `${tool}-${atMs}`.padEnd(16, '0').slice(0, 16),
    name: `execute_tool ${tool}`,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1_000_000n,
    genai: { ...emptyGenAi(), operation: 'execute_tool', toolName: tool, agentName },
  });
}

/** A multi-turn session: one trace per turn, each with the given tools in order. */
export function turnsView(sessionId: string, turns: string[][], over: Partial<SessionSummary> = {}): SessionView {
  const spans: NormalizedSpan[] = [];
  turns.forEach((tools, t) => tools.forEach((tool, i) => spans.push(toolSpan(`trace-${sessionId}-${t}`, tool, t * 10_000 + i * 100))));
  return { summary: summary({ sessionId, toolPath: turns.flat(), ...over }), spans };
}
