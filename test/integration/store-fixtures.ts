/** Builders of NormalizedSpan / SessionWrite values for the store tests and bench. */
import { NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import { emptyGenAi, type NormalizedSpan, type Usage } from '../../src/model/span.js';
import type { SessionWrite } from '../../src/model/session.js';

/** Deterministic test data: failures reproduce from their seed. */
export { mulberry32 as seeded } from '../../src/prng.js';


function hex(rand: () => number, chars: number): string {
  let s = '';
  while (s.length < chars) s += Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, chars);
}

/** One model-call span with usage and cost. */
export function callSpan(p: {
  tenantId: string;
  traceId: string;
  parentSpanId: string;
  startNs: bigint;
  usage: Usage;
  costUsd: number | null;
  model?: string;
  /** Where the call ran and the host it went to (default: unknown region, no host). */
  region?: string;
  serverAddress?: string;
  rand: () => number;
}): NormalizedSpan {
  return {
    tenantId: p.tenantId,
    traceId: p.traceId,
    spanId: hex(p.rand, 16),
    parentSpanId: p.parentSpanId,
    traceState: '',
    name: `chat ${p.model ?? 'gpt-4o-mini'}`,
    kind: 3,
    startTimeUnixNano: p.startNs,
    endTimeUnixNano: p.startNs + 1_500_000_000n,
    statusCode: 0,
    statusMessage: '',
    serviceName: 'support-bot',
    resourceAttributes: { 'service.name': 'support-bot', 'deployment.environment': 'test' },
    scopeName: 'openai-instrumentation',
    scopeVersion: '1.2.3',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': p.model ?? 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': p.usage.inputTokens,
      'gen_ai.request.temperature': 0.2,
      'llm.flags': [true, false],
    },
    events: [{ timeUnixNano: p.startNs + 10n, name: 'gen_ai.content.prompt', attributes: { 'gen_ai.prompt': 'hi' } }],
    links: [],
    genai: { ...emptyGenAi(), operation: 'chat', provider: 'openai', requestModel: p.model ?? 'gpt-4o-mini', responseModel: null },
    sessionId: null,
    userId: null,
    usage: p.usage,
    usageRole: 'call',
    usageMissing: [],
    usageViolations: [],
    cost: { costUsd: p.costUsd, source: p.costUsd === null ? 'unknown' : 'catalog', priceVersion: p.costUsd === null ? '' : '2026-11-01' },
    isError: false,
    errorType: null,
    call: { ...NO_PROVIDER_CALL, region: p.region ?? 'unknown', serverAddress: p.serverAddress ?? '' },
    evals: [],
    wireBytes: 400,
  };
}

/** An invoke_agent root span carrying the sum of its children (an aggregate: never counted). */
export function agentSpan(tenantId: string, traceId: string, spanId: string, startNs: bigint, endNs: bigint, usage: Usage): NormalizedSpan {
  return {
    ...callSpan({ tenantId, traceId, parentSpanId: '', startNs, usage, costUsd: null, rand: () => 0.5 }),
    spanId,
    name: 'invoke_agent triage',
    kind: 1,
    endTimeUnixNano: endNs,
    statusCode: 2,
    statusMessage: 'tool failed',
    genai: { ...emptyGenAi(), operation: 'invoke_agent', agentName: 'triage' },
    usageRole: 'aggregate',
    cost: { costUsd: null, source: 'none', priceVersion: '' },
    isError: true,
    links: [{ traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceState: 'k=v', attributes: { why: 'retry' } }],
  };
}

/** A random session: one trace, an aggregate root and 1..6 call spans; returns the write and its exact totals. */
export function randomSession(p: { tenantId: string; rand: () => number; kept: boolean; baseNs: bigint }): {
  write: SessionWrite;
  usage: Usage;
  costUsd: number;
  calls: number;
} {
  const { rand, tenantId } = p;
  const traceId = hex(rand, 32);
  const rootId = hex(rand, 16);
  const sessionId = `sess-${hex(rand, 12)}`;
  const n = 1 + Math.floor(rand() * 6);
  const total: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  let costUsd = 0;
  let unpriced = 0;
  const spans: NormalizedSpan[] = [];
  const start = p.baseNs + BigInt(Math.floor(rand() * 7200)) * 1_000_000_000n;
  for (let i = 0; i < n; i++) {
    const cacheRead = Math.floor(rand() * 500);
    const usage: Usage = {
      inputTokens: cacheRead + Math.floor(rand() * 5000),
      outputTokens: Math.floor(rand() * 2000),
      cacheReadTokens: cacheRead,
      cacheWriteTokens: Math.floor(rand() * 10),
      reasoningTokens: Math.floor(rand() * 300),
    };
    // Costs with many significant digits, as catalog prices per token produce.
    const cost = rand() < 0.1 ? null : Math.round((usage.inputTokens * 1.5e-7 + usage.outputTokens * 6e-7) * 1e12) / 1e12;
    if (cost === null) unpriced++;
    else costUsd += cost;
    for (const k of Object.keys(total) as (keyof Usage)[]) total[k] += usage[k];
    spans.push(
      callSpan({ tenantId, traceId, parentSpanId: rootId, startNs: start + BigInt(i) * 2_000_000_000n, usage, costUsd: cost, rand, model: rand() < 0.5 ? 'gpt-4o-mini' : 'gpt-4o' }),
    );
  }
  const end = start + BigInt(n) * 2_000_000_000n;
  spans.unshift(agentSpan(tenantId, traceId, rootId, start, end, total));
  const write: SessionWrite = {
    summary: {
      tenantId,
      sessionId,
      explicitSession: true,
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      firstSeenMs: 1_700_000_000_000,
      serviceNames: ['support-bot'],
      agentNames: ['triage'],
      models: [...new Set(spans.map((s) => s.genai.requestModel ?? ''))].filter((m) => m !== ''),
      providers: ['openai'],
      userId: 'user-1',
      traceIds: [traceId],
      spanCount: spans.length,
      errorCount: 1,
      toolPath: ['search', 'answer'],
      usage: total,
      costUsd,
      unpricedCalls: unpriced,
      evals: [],
      minEvalScore: null,
      bytes: spans.length * 400,
    },
    decision: { kept: p.kept, reasons: p.kept ? ['error'] : [], sampleWeight: p.kept ? 1 : 10, trigger: 'idle', decidedAtMs: 1_763_800_000_123 },
    version: 1,
    spans,
    storeSpans: p.kept,
    countUsage: true,
  };
  return { write, usage: total, costUsd, calls: n };
}

/** Retry settings of the store tests: fast, a few attempts. */
export const TEST_STORE_RETRY = { initialMs: 1, maxMs: 5, maxAttempts: 5 };

/** Three hours ago in ns: spans and lookups have a 30-day TTL, older rows vanish at insert. */
export const recentBaseNs = (): bigint => BigInt(Date.now() - 3 * 3_600_000) * 1_000_000n;
