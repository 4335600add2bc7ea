/** Cross-span check: a wrapper's aggregate usage must equal the sum of its model-call descendants. */
import { USAGE_FIELDS, type NormalizedSpan, type Usage } from '../model/span.js';
import { extractUsage } from './usage.js';

/**
 * One message per `aggregate` span whose usage differs from the sum of the `call` spans below it
 * (nested wrappers are looked through; only calls are summed). Only the fields the wrapper itself
 * reports are compared (v6 wrappers, for one, may omit cache figures their calls carry).
 */
export function checkAggregates(spans: readonly NormalizedSpan[]): string[] {
  // Most sessions hold no wrapper with usage: skip building the parent index (run for every decided session).
  if (!spans.some((s) => s.usageRole === 'aggregate' && s.usage !== null)) return [];
  const children = new Map<string, NormalizedSpan[]>();
  for (const s of spans) {
    const key = `${s.traceId}/${s.parentSpanId}`;
    const list = children.get(key);
    if (list === undefined) children.set(key, [s]);
    else list.push(s);
  }
  const out: string[] = [];
  for (const s of spans) {
    if (s.usageRole !== 'aggregate' || s.usage === null) continue;
    const sum = sumCalls(s, children);
    if (sum === null) continue; // no call below it in what we hold: nothing to check against
    const reported = extractUsage(s.attributes).reported; // which fields, not their values: scope rules do not matter
    const diffs = USAGE_FIELDS.filter((f) => reported.includes(f)).filter((f) => (s.usage as Usage)[f] !== sum[f]).map((f) => `${f} ${(s.usage as Usage)[f]}≠${sum[f]}`);
    if (diffs.length > 0) out.push(`span ${s.spanId} (${s.name}): aggregate usage differs from its calls: ${diffs.join(', ')}`);
  }
  return out;
}

function sumCalls(root: NormalizedSpan, children: Map<string, NormalizedSpan[]>): Usage | null {
  let sum: Usage | null = null;
  const stack = [...(children.get(`${root.traceId}/${root.spanId}`) ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const s = stack.pop() as NormalizedSpan;
    if (seen.has(s.spanId)) continue; // a malformed parent cycle must not loop forever
    seen.add(s.spanId);
    if (s.usageRole === 'call' && s.usage !== null) {
      sum ??= { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
      for (const f of USAGE_FIELDS) sum[f] += s.usage[f];
    }
    for (const c of children.get(`${s.traceId}/${s.spanId}`) ?? []) stack.push(c);
  }
  return sum;
}
