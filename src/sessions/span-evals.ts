/** Evals carried on spans: those about the span's own trace/session stay with it, others are routed. */
import type { EvalResult, NormalizedSpan } from '../model/span.js';

/** True when the eval targets the span's own trace (or names no trace and no other session). */
export function isOwnEval(e: EvalResult, span: NormalizedSpan): boolean {
  const t = e.target;
  if (t.traceId !== null && t.traceId !== span.traceId) return false;
  if (t.sessionId !== null && t.sessionId !== (span.sessionId ?? span.traceId)) return false;
  return true;
}

/** The evals of `spans` that belong to those spans' own session. */
export function ownEvals(spans: readonly NormalizedSpan[]): EvalResult[] {
  const out: EvalResult[] = [];
  for (const s of spans) {
    // Indexed: a for-of over the shared frozen empty list allocates an iterator per span.
    const evals = s.evals;
    for (let i = 0; i < evals.length; i++) if (isOwnEval(evals[i]!, s)) out.push(evals[i]!);
  }
  return out;
}
