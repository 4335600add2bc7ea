/**
 * Simulated sessions for the detectors (src/sampling/detectors/): one pattern per detector label, and near misses
 * that look like a pattern but must not fire (different arguments, one retried 429, a cold first call, one repeat
 * short, a cache hit rate that dips and recovers). Near misses use the agent's common tool paths, so the other policies see ordinary sessions.
 */
import type { AgentProfile, SimSpan, SimTrace, SimUsage } from './scenario.js';
import { hexId, usageFor } from './sim-random.js';

/** One label per detector, named as the detector's reason. */
export const DETECTOR_LABELS = ['tool_loop', 'retry_storm', 'duplicate_tool_call', 'budget_race', 'stalled', 'runaway', 'cache_collapse', 'cache_churn'] as const;
export type DetectorLabel = (typeof DETECTOR_LABELS)[number];

/** The near misses, one picked per near-miss session. */
const NEAR_MISSES = ['different_args', 'one_refusal', 'cold_first_call', 'short_repeat', 'short_collapse', 'cache_dip', 'few_writes', 'reused_id_other_args', 'parallel_calls'] as const;

interface Ctx {
  rand: () => number;
  agent: AgentProfile;
  sessionId: string;
  startMs: number;
}

/** Builds one turn (trace) span by span: an invoke_agent root, model calls and tool calls in sequence. */
class Turn {
  readonly traceId: string;
  readonly rootId: string;
  readonly spans: SimSpan[] = [];
  t: number;
  constructor(private readonly c: Ctx) {
    this.traceId = hexId(c.rand, 16);
    this.rootId = hexId(c.rand, 8);
    this.t = c.startMs + 5;
  }

  /** A model call; `children` add spans under it (HTTP requests). */
  chat(usage: Partial<SimUsage> = {}, children?: (callId: string, startMs: number) => SimSpan[]): string {
    const { agent, sessionId } = this.c;
    const u: SimUsage = { ...usageFor(this.c.rand, false), ...usage };
    const id = hexId(this.c.rand, 8);
    const kids = children?.(id, this.t) ?? [];
    const end = Math.max(this.t + 300, ...kids.map((k) => k.endMs + 5));
    this.spans.push({
      spanId: id,
      parentSpanId: this.rootId,
      name: `chat ${agent.model}`,
      kind: 3,
      startMs: this.t,
      endMs: end,
      model: agent.model,
      provider: agent.provider,
      usage: u,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': agent.provider,
        'gen_ai.request.model': agent.model,
        'gen_ai.response.model': agent.model,
        'gen_ai.conversation.id': sessionId,
        'gen_ai.agent.name': agent.name,
        'gen_ai.usage.input_tokens': u.inputTokens,
        'gen_ai.usage.output_tokens': u.outputTokens,
        'gen_ai.usage.cache_read.input_tokens': u.cacheReadTokens,
        'gen_ai.usage.cache_creation.input_tokens': u.cacheWriteTokens,
      },
    });
    this.spans.push(...kids);
    this.t = end + 5;
    return id;
  }

  /** A tool call; `at` overrides its timing (overlaps, late ends). */
  tool(name: string, o: { args?: string; callId?: string; error?: boolean; at?: { startMs: number; endMs: number } } = {}): void {
    const startMs = o.at?.startMs ?? this.t;
    const endMs = o.at?.endMs ?? startMs + 20 + Math.floor(this.c.rand() * 200);
    this.spans.push({
      spanId: hexId(this.c.rand, 8),
      parentSpanId: this.rootId,
      name: `execute_tool ${name}`,
      kind: 1,
      startMs,
      endMs,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': name,
        'gen_ai.tool.call.id': o.callId ?? `call_${hexId(this.c.rand, 6)}`,
        'gen_ai.tool.type': 'function',
        'gen_ai.conversation.id': this.c.sessionId,
        'gen_ai.agent.name': this.c.agent.name,
        ...(o.args !== undefined ? { 'gen_ai.tool.call.arguments': o.args } : {}),
        ...(o.error ? { 'error.type': 'ToolError' } : {}),
      },
      ...(o.error ? { error: { message: `${name} failed`, type: 'ToolError' } } : {}),
    });
    if (o.at === undefined) this.t = endMs + 5;
  }

  /** The trace, its root ending `rootEndMs` (default: after the last span). */
  done(rootEndMs?: number): SimTrace {
    const { agent, sessionId } = this.c;
    const end = rootEndMs ?? Math.max(this.t, ...this.spans.map((s) => s.endMs)) + 5;
    const root: SimSpan = {
      spanId: this.rootId,
      parentSpanId: '',
      name: `invoke_agent ${agent.name}`,
      kind: 1,
      startMs: this.c.startMs,
      endMs: end,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': agent.name, 'gen_ai.conversation.id': sessionId },
    };
    return { traceId: this.traceId, spans: [root, ...this.spans] };
  }
}

/** HTTP requests under a model call, one per status, 400 ms apart (a client retrying with backoff). */
function requests(rand: () => number, statuses: number[]): (callId: string, startMs: number) => SimSpan[] {
  return (callId, startMs) =>
    statuses.map((status, i) => ({
      spanId: hexId(rand, 8),
      parentSpanId: callId,
      name: 'POST',
      kind: 3,
      startMs: startMs + i * 400,
      endMs: startMs + i * 400 + 150,
      attributes: { 'http.request.method': 'POST', 'http.response.status_code': status, 'url.full': 'https://api.example-llm.com/v1/chat/completions', ...(status >= 400 ? { 'error.type': String(status) } : {}) },
      ...(status >= 400 ? { error: { message: `HTTP ${status}`, type: String(status) } } : {}),
    }));
}

/** An ordinary path of the agent, called with distinct arguments. */
function ordinaryTools(turn: Turn, c: Ctx, path: readonly string[]): void {
  path.forEach((tool, i) => turn.tool(tool, { args: `{"n":${i},"q":"${hexId(c.rand, 3)}"}` }));
}

/** The traces of one detector or near-miss session. */
export function detectorTraces(label: DetectorLabel | 'near_miss', c: Ctx): SimTrace[] {
  const { rand, agent } = c;
  const path = agent.paths[Math.floor(rand() * agent.paths.length)]!;
  const turn = new Turn(c);
  const warm = (): Partial<SimUsage> => ({ inputTokens: 2_400, cacheReadTokens: 2_000, cacheWriteTokens: 0 });
  switch (label) {
    case 'tool_loop': {
      turn.chat();
      for (let i = 0; i < 6; i++) {
        turn.tool(path[0]!, { args: '{"q":"status of order 1234"}' });
        turn.chat();
      }
      return [turn.done()];
    }
    case 'retry_storm':
      turn.chat({}, requests(rand, [429, 429, 200]));
      ordinaryTools(turn, c, path);
      turn.chat();
      return [turn.done()];
    case 'duplicate_tool_call':
      turn.chat();
      turn.tool(path[0]!, { args: '{"order":"A-17"}', callId: 'call_dup_1' });
      turn.chat();
      turn.tool(path[0]!, { args: '{"order":"A-17"}', callId: 'call_dup_1' });
      turn.chat();
      return [turn.done()];
    case 'budget_race': {
      turn.chat();
      // The agent's budget ran out: its span ends while the tool is still running.
      const endMs = turn.t + 1_000;
      turn.tool(path[0]!, { args: '{"url":"https://example.com/slow"}', at: { startMs: turn.t, endMs: endMs + 2_000 } });
      return [turn.done(endMs)];
    }
    case 'stalled':
      turn.chat();
      ordinaryTools(turn, c, path.slice(0, -1));
      turn.tool(path[path.length - 1]!, { error: true, args: '{}' });
      return [turn.done()];
    case 'runaway':
      // A context filling up: every call adds the last one's tool results.
      for (const input of [2_000, 9_000, 27_000, 60_000]) turn.chat({ inputTokens: input, cacheReadTokens: 0, cacheWriteTokens: 0 });
      return [turn.done()];
    case 'cache_collapse':
      turn.chat({ inputTokens: 2_400, cacheReadTokens: 0, cacheWriteTokens: 2_000 });
      turn.chat(warm());
      for (let i = 0; i < 4; i++) turn.chat({ inputTokens: 2_600, cacheReadTokens: 0, cacheWriteTokens: 0 });
      return [turn.done()];
    case 'cache_churn':
      for (let i = 0; i < 4; i++) turn.chat({ inputTokens: 2_400, cacheReadTokens: 0, cacheWriteTokens: 2_000 });
      return [turn.done()];
    case 'near_miss':
      return [nearMiss(NEAR_MISSES[Math.floor(rand() * NEAR_MISSES.length)]!, turn, c, path)];
  }
}

function nearMiss(kind: (typeof NEAR_MISSES)[number], turn: Turn, c: Ctx, path: readonly string[]): SimTrace {
  const cold = (): Partial<SimUsage> => ({ inputTokens: 2_400, cacheReadTokens: 0, cacheWriteTokens: 0 });
  switch (kind) {
    case 'different_args':
      turn.chat();
      ordinaryTools(turn, c, path);
      turn.chat();
      break;
    case 'one_refusal':
      turn.chat({}, requests(c.rand, [429, 200]));
      ordinaryTools(turn, c, path);
      turn.chat();
      break;
    case 'cold_first_call':
      turn.chat(cold());
      ordinaryTools(turn, c, path);
      turn.chat({ inputTokens: 2_600, cacheReadTokens: 2_000, cacheWriteTokens: 0 });
      break;
    case 'short_repeat':
      // The ordinary path with one argument text for every call: a tool the path repeats (fetch_url, fetch_url) is
      // called twice in a row identically, far from a loop. (A longer run would be an unusual path, kept as rare.)
      turn.chat();
      for (const tool of path) turn.tool(tool, { args: '{"q":"same"}' });
      turn.chat();
      break;
    case 'short_collapse':
      turn.chat({ inputTokens: 2_400, cacheReadTokens: 2_000, cacheWriteTokens: 0 });
      ordinaryTools(turn, c, path);
      turn.chat(cold());
      turn.chat(cold());
      break;
    case 'cache_dip':
      // A hit rate that dips and recovers: the cached prefix expired and was written again, then read.
      turn.chat({ inputTokens: 2_400, cacheReadTokens: 2_000, cacheWriteTokens: 0 });
      ordinaryTools(turn, c, path);
      for (let i = 0; i < 3; i++) turn.chat({ inputTokens: 2_600, cacheReadTokens: 0, cacheWriteTokens: i === 0 ? 2_000 : 0 });
      turn.chat({ inputTokens: 2_800, cacheReadTokens: 2_000, cacheWriteTokens: 0 });
      break;
    case 'few_writes':
      turn.chat({ inputTokens: 2_400, cacheReadTokens: 0, cacheWriteTokens: 2_000 });
      ordinaryTools(turn, c, path);
      turn.chat({ inputTokens: 2_600, cacheReadTokens: 0, cacheWriteTokens: 2_000 });
      break;
    case 'reused_id_other_args':
      turn.chat();
      path.forEach((tool, i) => turn.tool(tool, { args: `{"i":${i}}`, callId: 'call_0' }));
      turn.chat();
      break;
    case 'parallel_calls': {
      turn.chat();
      const startMs = turn.t;
      path.forEach((tool, i) => turn.tool(tool, { args: `{"i":${i}}`, at: { startMs, endMs: startMs + 300 + i * 50 } }));
      turn.t = startMs + 500;
      turn.chat();
      break;
    }
  }
  return turn.done();
}
