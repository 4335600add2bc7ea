/** Realistic agent sessions for `agenttail simulate`: deterministic from a seed, labelled by what should keep them. */
import { mulberry32 } from '../prng.js';
import { DETECTOR_LABELS, detectorTraces, type DetectorLabel } from './detector-scenarios.js';
import { hexId, usageFor } from './sim-random.js';
import { DEFAULT_THROTTLE_SHARE, routeProviderCalls } from './providers.js';

/** Why a simulated session exists: ordinary traffic, or something the sampler must keep. */
export type SimLabel = 'ordinary' | 'error' | 'rare_path' | 'cost_outlier' | 'low_eval' | 'late_low_eval' | DetectorLabel | 'near_miss';

export interface SimUsage {
  inputTokens: number; // inclusive of cache
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface SimSpan {
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number | boolean>;
  error?: { message: string; type: string };
  events?: { name: string; timeMs: number; attributes: Record<string, string | number | boolean> }[];
  /** For model-call spans: what the span reports, to total the cost sent. */
  usage?: SimUsage;
  model?: string;
  provider?: string;
}

export interface SimTrace {
  traceId: string;
  spans: SimSpan[];
}

export interface SimSession {
  sessionId: string;
  label: SimLabel;
  agent: string;
  traces: SimTrace[];
  /** Eval to post after the session ended (label late_low_eval). */
  lateEval?: { name: string; score: number; label: string };
}

export interface ScenarioOptions {
  sessions: number;
  seed: number;
  /** Prefix of every session id, so a run can find its own sessions afterwards. */
  runId: string;
  /** `detector`: share of EACH detector's pattern (tool_loop, retry_storm, ...); `nearMiss`: share of near misses (0 when absent). */
  shares: { error: number; rarePath: number; costOutlier: number; lowEval: number; lateLowEval: number; detector?: number; nearMiss?: number };
  /** Wall clock the sessions end at (ms). */
  nowMs: number;
  /** Share of model calls throttled once (429 + retry-after, then 200) before they succeed (default 0.08). */
  throttleShare?: number;
}

/** One simulated agent: its model and its tools. */
export interface AgentProfile {
  name: string;
  model: string;
  provider: string;
  /** Common tool paths; ordinary sessions use one of these. */
  paths: string[][];
  /** Tools available for unusual paths. */
  tools: string[];
}

const AGENTS: AgentProfile[] = [
  {
    name: 'support-agent',
    model: 'gpt-4o-mini',
    provider: 'openai',
    paths: [['search_kb', 'get_order'], ['search_kb'], ['get_order', 'send_email']],
    tools: ['search_kb', 'get_order', 'refund_order', 'send_email', 'escalate_ticket', 'lookup_customer'],
  },
  {
    name: 'research-agent',
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    paths: [['web_search', 'fetch_url', 'fetch_url'], ['web_search', 'fetch_url']],
    tools: ['web_search', 'fetch_url', 'summarize', 'translate', 'extract_table', 'cite'],
  },
  {
    name: 'coder-agent',
    model: 'gemini-2.5-flash',
    provider: 'gcp.gemini',
    paths: [['read_file', 'edit_file', 'run_tests'], ['read_file', 'run_tests']],
    tools: ['read_file', 'edit_file', 'run_tests', 'git_diff', 'lint', 'search_code'],
  },
];



function pickLabel(rand: () => number, shares: ScenarioOptions['shares']): SimLabel {
  const r = rand();
  let acc = 0;
  const order: [SimLabel, number][] = [
    ['error', shares.error],
    ['rare_path', shares.rarePath],
    ['cost_outlier', shares.costOutlier],
    ['low_eval', shares.lowEval],
    ['late_low_eval', shares.lateLowEval],
    ...DETECTOR_LABELS.map((l): [SimLabel, number] => [l, shares.detector ?? 0]),
    ['near_miss', shares.nearMiss ?? 0],
  ];
  for (const [label, share] of order) {
    acc += share;
    if (r < acc) return label;
  }
  return 'ordinary';
}

/** Generates the sessions of one run. Same options → same sessions (ids, tokens, paths). */
export function generateScenario(opts: ScenarioOptions): SimSession[] {
  const rand = mulberry32(opts.seed);
  const out: SimSession[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    const label = pickLabel(rand, opts.shares);
    const agent = AGENTS[Math.floor(rand() * AGENTS.length)]!;
    const sessionId = `${opts.runId}-${String(i).padStart(6, '0')}`;
    const turns = 1 + Math.floor(rand() * 3);
    const errorTurn = Math.floor(rand() * turns);
    const traces: SimTrace[] = [];
    let t = opts.nowMs - turns * 4_000 - 1_000;
    if (label === 'near_miss' || (DETECTOR_LABELS as readonly string[]).includes(label)) {
      out.push({ sessionId, label, agent: agent.name, traces: detectorTraces(label as DetectorLabel | 'near_miss', { rand, agent, sessionId, startMs: t }) });
      continue;
    }
    for (let turn = 0; turn < turns; turn++) {
      let path = agent.paths[Math.floor(rand() * agent.paths.length)]!;
      if (label === 'rare_path' && turn === 0) {
        // An unusual trajectory: tools in an order ordinary traffic never uses, with a long repeat run.
        const n = 3 + Math.floor(rand() * 3);
        path = Array.from({ length: n }, () => agent.tools[Math.floor(rand() * agent.tools.length)]!);
        path.push(...Array.from({ length: 8 }, () => agent.tools[agent.tools.length - 1]!));
      }
      const trace = buildTurn({
        rand,
        agent,
        sessionId,
        path,
        startMs: t,
        outlier: label === 'cost_outlier',
        failTool: label === 'error' && turn === errorTurn,
        inlineLowEval: label === 'low_eval' && turn === turns - 1,
      });
      traces.push(trace);
      t += 4_000;
    }
    const session: SimSession = { sessionId, label, agent: agent.name, traces };
    if (label === 'late_low_eval') session.lateEval = { name: 'helpfulness', score: 0.1, label: 'fail' };
    out.push(session);
  }
  routeProviderCalls(out, opts.seed, opts.throttleShare ?? DEFAULT_THROTTLE_SHARE);
  return out;
}


function buildTurn(p: {
  rand: () => number;
  agent: AgentProfile;
  sessionId: string;
  path: string[];
  startMs: number;
  outlier: boolean;
  failTool: boolean;
  inlineLowEval: boolean;
}): SimTrace {
  const { rand, agent } = p;
  const traceId = hexId(rand, 16);
  const rootId = hexId(rand, 8);
  const spans: SimSpan[] = [];
  let t = p.startMs + 5;
  const chat = (): void => {
    const usage = usageFor(rand, p.outlier);
    const dur = 200 + Math.floor(rand() * 800);
    spans.push({
      spanId: hexId(rand, 8),
      parentSpanId: rootId,
      name: `chat ${agent.model}`,
      kind: 3,
      startMs: t,
      endMs: t + dur,
      model: agent.model,
      provider: agent.provider,
      usage,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': agent.provider,
        'gen_ai.request.model': agent.model,
        'gen_ai.response.model': agent.model,
        'gen_ai.conversation.id': p.sessionId,
        'gen_ai.agent.name': agent.name,
        'gen_ai.usage.input_tokens': usage.inputTokens,
        'gen_ai.usage.output_tokens': usage.outputTokens,
        'gen_ai.usage.cache_read.input_tokens': usage.cacheReadTokens,
        'gen_ai.usage.cache_creation.input_tokens': usage.cacheWriteTokens,
      },
    });
    t += dur + 5;
  };
  chat();
  p.path.forEach((tool, i) => {
    const dur = 20 + Math.floor(rand() * 300);
    const fail = p.failTool && i === p.path.length - 1;
    spans.push({
      spanId: hexId(rand, 8),
      parentSpanId: rootId,
      name: `execute_tool ${tool}`,
      kind: 1,
      startMs: t,
      endMs: t + dur,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool,
        'gen_ai.tool.call.id': `call_${hexId(rand, 6)}`,
        'gen_ai.tool.type': 'function',
        'gen_ai.conversation.id': p.sessionId,
        'gen_ai.agent.name': agent.name,
        ...(fail ? { 'error.type': 'ToolTimeout' } : {}),
      },
      ...(fail ? { error: { message: `${tool} timed out after 30s`, type: 'ToolTimeout' } } : {}),
    });
    t += dur + 5;
  });
  if (p.path.length > 0) chat();
  spans.unshift({
    spanId: rootId,
    parentSpanId: '',
    name: `invoke_agent ${agent.name}`,
    kind: 1,
    startMs: p.startMs,
    endMs: t + 5,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': agent.name,
      'gen_ai.conversation.id': p.sessionId,
    },
    ...(p.inlineLowEval
      ? {
          events: [
            {
              name: 'gen_ai.evaluation.result',
              timeMs: t,
              attributes: { 'gen_ai.evaluation.name': 'helpfulness', 'gen_ai.evaluation.score.value': 0.12, 'gen_ai.evaluation.score.label': 'fail' },
            },
          ],
        }
      : {}),
  });
  return { traceId, spans };
}
