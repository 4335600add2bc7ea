/**
 * Sessions/s through DecisionEngine.decide() with realistic session views (1–3 turns of 3–12 model calls and
 * their tool calls, ~5–45 spans; common turn paths plus 2 % rare ones; 3 % errors; evals on 30 %; skewed
 * costs and durations; 20 tenants).
 * Baseline in the same run: an engine with only the baseline policy (hash only, no learning, no rules).
 * Run: npx tsx bench/sampling.ts [sessions]
 */
import Table from 'cli-table3';
import { samplingSchema, type SamplingConfigInput } from '../src/config/sampling.js';
import { NO_PROVIDER_CALL } from '../src/conventions/provider-call.js';
import { emptyGenAi, type EvalResult, type NormalizedSpan } from '../src/model/span.js';
import { DecisionEngine } from '../src/sampling/engine.js';
import type { SessionView } from '../src/model/session-view.js';

const SESSIONS = Number(process.argv[2] ?? 50_000);
const T0 = 1_700_000_000_000_000_000n;

// A small deterministic PRNG so every run benchmarks the same traffic.
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON_PATHS = [
  ['search_kb', 'answer'],
  ['lookup_customer', 'get_order'],
  ['search_kb', 'search_kb', 'answer'],
  ['read_file', 'edit_file', 'run_tests'],
  ['web_search', 'fetch_url', 'summarize'],
];
const TOOLS = ['search_kb', 'get_order', 'refund_order', 'send_email', 'read_file', 'edit_file', 'run_tests', 'git_diff'];
const AGENTS = ['support', 'research', 'coder'];

function makeSpan(rand: () => number, i: number, tenantId: string, over: Partial<NormalizedSpan>): NormalizedSpan {
  const start = T0 + BigInt(i) * 100_000_000n;
  return {
    tenantId,
    traceId: 'a'.repeat(32),
    spanId: i.toString(16).padStart(16, '0'),
    parentSpanId: i === 0 ? '' : '0'.repeat(16),
    traceState: '',
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(Math.floor(rand() * 2e9)),
    statusCode: 0,
    statusMessage: '',
    serviceName: 'agent-svc',
    resourceAttributes: { 'service.name': 'agent-svc', 'deployment.environment': rand() < 0.9 ? 'prod' : 'staging' },
    scopeName: 'openinference',
    scopeVersion: '1.0.0',
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'user.tier': rand() < 0.02 ? 'vip' : 'free' },
    events: [],
    links: [],
    genai: { ...emptyGenAi(), operation: 'chat', requestModel: 'gpt-4o', provider: 'openai' },
    sessionId: null,
    userId: null,
    usage: null,
    usageRole: 'call',
    usageMissing: [],
    usageViolations: [],
    cost: { costUsd: 0.001, source: 'catalog', priceVersion: 'v1' },
    isError: false,
    errorType: null,
    call: NO_PROVIDER_CALL,
    evals: [],
    wireBytes: 600,
    ...over,
  };
}

/** Views plus whether each is ordinary (no error, no low eval, no rare turn), for the ordinary kept share. */
function makeViews(n: number): { views: SessionView[]; ordinary: boolean[] } {
  const rand = mulberry32(42);
  const views: SessionView[] = [];
  const ordinary: boolean[] = [];
  for (let s = 0; s < n; s++) {
    const tenantId = `tenant-${s % 20}`;
    const agent = AGENTS[s % AGENTS.length]!;
    const rare = rand() < 0.02;
    // 1–3 turns (traces); each turn a common path, the first turn of a rare session an unusual one.
    const turns = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, t) =>
      rare && t === 0
        ? Array.from({ length: 3 + Math.floor(rand() * 5) }, () => TOOLS[Math.floor(rand() * TOOLS.length)]!)
        : [...COMMON_PATHS[Math.floor(rand() * COMMON_PATHS.length)]!],
    );
    const toolPath = turns.flat();
    const error = rand() < 0.03;
    const spans: NormalizedSpan[] = [];
    turns.forEach((tools, t) => {
      const traceId = `${s.toString(16).padStart(24, '0')}${t.toString(16).padStart(8, '0')}`;
      const chats = 3 + Math.floor(rand() * 10);
      for (let c = 0; c < chats; c++) spans.push(makeSpan(rand, spans.length, tenantId, { traceId, genai: { ...emptyGenAi(), operation: 'chat', requestModel: 'gpt-4o', provider: 'openai', agentName: agent } }));
      for (const tool of tools) {
        spans.push(makeSpan(rand, spans.length, tenantId, { traceId, name: `execute_tool ${tool}`, usageRole: 'none', genai: { ...emptyGenAi(), operation: 'execute_tool', toolName: tool } }));
      }
    });
    // Tier and environment belong to the session (the user and the deployment), not to single spans.
    const tier = rand() < 0.02 ? 'vip' : 'free';
    const env = rand() < 0.9 ? 'prod' : 'staging';
    for (const sp of spans) {
      sp.attributes = { ...sp.attributes, 'user.tier': tier };
      sp.resourceAttributes = { ...sp.resourceAttributes, 'deployment.environment': env };
    }
    if (error) Object.assign(spans[spans.length - 1]!, { isError: true, errorType: 'ToolTimeout', statusCode: 2 });
    const spanCount = spans.length;
    const evals: EvalResult[] =
      rand() < 0.3
        ? [{ name: 'faithfulness', score: rand(), label: null, explanation: null, target: { sessionId: `s${s}`, traceId: null, spanId: null }, source: 'api', timeUnixNano: T0 }]
        : [];
    // Log-normal-ish cost: most sessions cents, a tail of dollars.
    const costUsd = Math.exp(Math.log(0.02) + rand() * rand() * 5);
    const durationMs = 2000 + Math.floor(rand() * rand() * 60_000);
    ordinary.push(!rare && !error && !evals.some((e) => (e.score ?? 1) < 0.5));
    views.push({
      summary: {
        tenantId,
        sessionId: `session-${s}`,
        explicitSession: true,
        startTimeUnixNano: T0,
        endTimeUnixNano: T0 + BigInt(durationMs) * 1_000_000n,
        firstSeenMs: 0,
        serviceNames: ['agent-svc'],
        agentNames: [agent],
        models: ['gpt-4o'],
        providers: ['openai'],
        userId: `user-${s % 1000}`,
        traceIds: ['a'.repeat(32)],
        spanCount,
        errorCount: error ? 1 : 0,
        toolPath,
        usage: { inputTokens: Math.floor(costUsd * 200_000), outputTokens: 500, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
        costUsd,
        unpricedCalls: 0,
        evals,
        minEvalScore: evals[0]?.score ?? null,
        bytes: spanCount * 600,
      },
      spans,
    });
  }
  return { views, ordinary };
}

const RULES: SamplingConfigInput['rules'] = [
  { name: 'health', action: 'drop', conditions: [{ source: 'span', key: 'name', regex: '^GET /health' }] },
  { name: 'vip', conditions: [{ source: 'attribute', key: 'user.tier', equals: 'vip' }] },
  { name: 'staging-costly', conditions: [{ source: 'resource', key: 'deployment.environment', equals: 'staging' }, { source: 'summary', key: 'costUsd', gte: 1 }] },
  ...Array.from({ length: 7 }, (_, i) => ({ name: `attr-${i}`, conditions: [{ source: 'attribute' as const, key: `custom.key.${i}`, exists: true }] })),
];

interface Row {
  name: string;
  sessions: number;
  ms: number;
  sessionsPerS: number;
  spansPerS: number;
  keptShare: number;
  ordinaryKeptShare: number;
}

function run(name: string, input: SamplingConfigInput, { views, ordinary }: { views: SessionView[]; ordinary: boolean[] }): Row {
  let now = 1_700_000_000_000;
  const engine = new DecisionEngine({ config: samplingSchema.parse(input), now: () => (now += 5) });
  // Warm up the JIT on a slice, then measure a fresh engine so the learning state starts empty.
  for (const v of views.slice(0, 2000)) engine.decide(v, 'idle');
  const measured = new DecisionEngine({ config: samplingSchema.parse(input), now: () => (now += 5) });
  const kept: boolean[] = new Array<boolean>(views.length);
  let spans = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < views.length; i++) {
    kept[i] = measured.decide(views[i]!, 'idle').kept;
    spans += views[i]!.spans.length;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const keptCount = kept.filter(Boolean).length;
  const ordinaryCount = ordinary.filter(Boolean).length;
  const ordinaryKept = kept.filter((k, i) => k && ordinary[i]).length;
  return { name, sessions: views.length, ms, sessionsPerS: (views.length / ms) * 1000, spansPerS: (spans / ms) * 1000, keptShare: keptCount / views.length, ordinaryKeptShare: ordinaryKept / ordinaryCount };
}

const traffic = makeViews(SESSIONS);
const baselineOnly: SamplingConfigInput = {
  policies: { error: { enabled: false }, rarePath: { enabled: false }, costOutlier: { enabled: false }, lowEval: { enabled: false }, latency: { enabled: false } },
  budget: { enabled: false },
};
const rows = [
  run('baseline only (reference)', baselineOnly, traffic),
  run('defaults (all policies, budget)', {}, traffic),
  run('defaults + 10 attribute rules', { rules: RULES }, traffic),
];
const ref = rows[0]!.sessionsPerS;

const table = new Table({ head: ['engine', 'sessions', 'ms', 'sessions/s', 'spans/s', 'vs reference', 'kept', 'ordinary kept'], style: { head: [], border: [] } });
for (const r of rows) {
  table.push([r.name, r.sessions, r.ms.toFixed(0), r.sessionsPerS.toFixed(0), r.spansPerS.toFixed(0), `${(r.sessionsPerS / ref).toFixed(2)}×`, `${(r.keptShare * 100).toFixed(1)} %`, `${(r.ordinaryKeptShare * 100).toFixed(1)} %`]);
}
console.log(table.toString());
console.log(JSON.stringify({ bench: 'sampling', node: process.version, rows: rows.map((r) => ({ ...r, ratioToReference: r.sessionsPerS / ref })) }, null, 2));
