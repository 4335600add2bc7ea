/** The tool-call trajectory of a session: agents + ordered tool names, consecutive repeats bucketed. */
import type { SessionSummary } from '../sessions/types.js';

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
