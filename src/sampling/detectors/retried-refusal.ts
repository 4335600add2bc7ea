/**
 * Refusals the client retried successfully are not errors of the session (docs/sampling.md, errors policy): an
 * erroring request under a model call that succeeded, or a refused model call followed by a successful call of the
 * same parent. They count toward `retry_storm` instead. A model call that finally failed is still an error.
 */
import type { NormalizedSpan } from '../../model/span.js';
import { isModelCall } from './model-call.js';
import { isRefusal } from './refusal.js';

/** How many of the error spans among `spans` are refusals the client got past by retrying. */
export function retriedRefusalCount(spans: readonly NormalizedSpan[]): number {
  let candidates: NormalizedSpan[] | null = null;
  for (const s of spans) if (s.isError && isRefusal(s)) (candidates ??= []).push(s);
  if (candidates === null) return 0;
  const byId = new Map<string, NormalizedSpan>();
  for (const s of spans) byId.set(s.spanId, s);
  let n = 0;
  for (const c of candidates) {
    const parent = byId.get(c.parentSpanId);
    if (parent !== undefined && isModelCall(parent) && !isModelCall(c) && !parent.isError) n++;
    else if (isModelCall(c) && spans.some((s) => s !== c && isModelCall(s) && !s.isError && s.parentSpanId === c.parentSpanId && s.traceId === c.traceId && s.startTimeUnixNano > c.startTimeUnixNano)) n++;
  }
  return n;
}
