/** The tool-call trajectory of a session: agents + ordered tool names, consecutive repeats bucketed. */
import { byStart } from '../../conventions/span-order.js';
import { sortByStart, sortInOrder } from './sort-in-order.js';
import type { NormalizedSpan } from '../../model/span.js';
import type { SessionSummary } from '../../model/session.js';
import type { SessionView } from '../../model/session-view.js';

/** Repeat-count bucket of a run of the same tool: 1, 2–3, 4–7 or 8+ (so 5 vs 6 retries is the same path). */
export function repeatBucket(run: number): string {
  if (run <= 1) return '1';
  if (run <= 3) return '2-3';
  if (run <= 7) return '4-7';
  return '8+';
}

/** Collapses consecutive repeats of a tool name into [tool, bucket] pairs. */
export function bucketRuns(toolPath: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < toolPath.length) {
    let j = i + 1;
    while (j < toolPath.length && toolPath[j] === toolPath[i]) j++;
    out.push([toolPath[i]!, repeatBucket(j - i)]);
    i = j;
  }
  return out;
}

/**
 * The trajectory key of a session, or null when it made no tool calls (such sessions are not paths).
 * Agent names are sorted: the order they were first seen in depends on span arrival, not on the session.
 */
export function trajectoryKey(summary: Pick<SessionSummary, 'agentNames' | 'toolPath'>): string | null {
  if (summary.toolPath.length === 0) return null;
  const agents = [...summary.agentNames].sort();
  // JSON keeps tool names containing separators unambiguous.
  return JSON.stringify([agents, bucketRuns(summary.toolPath)]);
}

/** One path of a session: the agents and ordered tool names behind it. */
export interface ToolPath {
  agentNames: string[];
  toolPath: string[];
}

/** Turns by their first tool call's start, then trace id. */
function byFirstStart([ta, a]: [string, NormalizedSpan[]], [tb, b]: [string, NormalizedSpan[]]): number {
  return byStart(a[0]!, b[0]!) || (ta < tb ? -1 : ta > tb ? 1 : 0);
}

/**
 * The tool path of each trace (turn) of a session, from its execute_tool spans ordered by start time.
 * Agents are those named on the trace's spans, else the session's. When the spans carry no tool calls but
 * the summary does (spans not held), the session's whole path is the one path.
 */
export function turnPaths(view: SessionView): ToolPath[] {
  const byTrace = new Map<string, NormalizedSpan[]>();
  const agentsByTrace = new Map<string, Set<string>>();
  // Spans of a trace mostly come together: look the trace up once per run of spans, not per span.
  let runTrace: string | null = null;
  let agents: Set<string> | undefined;
  let list: NormalizedSpan[] | undefined;
  for (const s of view.spans) {
    if (s.traceId !== runTrace) {
      runTrace = s.traceId;
      agents = agentsByTrace.get(s.traceId);
      list = byTrace.get(s.traceId);
    }
    if (s.genai.agentName !== null) {
      if (agents === undefined) agentsByTrace.set(s.traceId, (agents = new Set()));
      agents.add(s.genai.agentName);
    }
    if (s.genai.operation !== 'execute_tool' || s.genai.toolName === null) continue;
    if (list === undefined) byTrace.set(s.traceId, (list = []));
    list.push(s);
  }
  if (byTrace.size === 0) {
    return view.summary.toolPath.length === 0 ? [] : [{ agentNames: view.summary.agentNames, toolPath: view.summary.toolPath }];
  }
  const traces = [...byTrace.entries()];
  for (const [, spans] of traces) sortByStart(spans);
  // Turns in start order, whatever order the spans arrived in.
  sortInOrder(traces, byFirstStart);
  return traces.map(([traceId, spans]) => {
    const agents = agentsByTrace.get(traceId);
    return { agentNames: agents === undefined ? view.summary.agentNames : [...agents], toolPath: spans.map((s) => s.genai.toolName!) };
  });
}
