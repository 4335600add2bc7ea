/**
 * `duplicate_tool_call`: one tool call id executed more than once — a retry or a resume that repeated the call's side
 * effect. Executions count as the same call when they carry the same id and tool name, and equal arguments when both
 * sent them (so a framework numbering its calls call_0, call_1 in every turn is not a duplicate). A span nested in
 * another of the same call is one execution instrumented twice, not a repeat.
 */
import type { NormalizedSpan } from '../../model/span.js';
import { fired, type Detector, type Finding } from './detector.js';
import type { SessionSpans } from './session-spans.js';

/** Same tool call: id, tool name, and arguments when both sides sent them. */
export function sameToolCall(a: NormalizedSpan, b: NormalizedSpan): boolean {
  if (a.genai.toolCallId === null || a.genai.toolCallId !== b.genai.toolCallId || a.genai.toolName !== b.genai.toolName) return false;
  const ha = a.toolArgsHash ?? null;
  const hb = b.toolArgsHash ?? null;
  return ha === null || hb === null || ha === hb;
}

/** The executions of `tools` (start order) that repeat an earlier one, each with the execution it repeats. */
export function repeatedExecutions(session: SessionSpans): { first: NormalizedSpan; again: NormalizedSpan }[] {
  const out: { first: NormalizedSpan; again: NormalizedSpan }[] = [];
  const seen = new Map<string, NormalizedSpan[]>();
  for (const t of session.toolCalls) {
    const id = t.genai.toolCallId;
    if (id === null) continue;
    const earlier = seen.get(id);
    if (earlier === undefined) {
      seen.set(id, [t]);
      continue;
    }
    const first = earlier.find((e) => sameToolCall(e, t) && t.parentSpanId !== e.spanId && e.parentSpanId !== t.spanId);
    if (first !== undefined) out.push({ first, again: t });
    earlier.push(t);
  }
  return out;
}

export class DuplicateToolCallDetector implements Detector {
  readonly reason = 'duplicate_tool_call' as const;

  detect(session: SessionSpans): Finding | null {
    if (session.toolCalls.length < 2) return null;
    const repeats = repeatedExecutions(session);
    if (repeats.length === 0) return null;
    const ids = [...new Set(repeats.map((r) => r.again.genai.toolCallId as string))];
    return fired(this.reason, repeats.map((r) => r.again.spanId), { duplicateToolCallIds: ids });
  }
}
