/**
 * `retry_storm`: `minRefusals` or more provider refusals (refusal.ts) on model calls or on the HTTP requests under
 * them. A refused model call whose own requests are counted is not counted again. Records the count (per provider),
 * and the seconds from the first refusal to the end of the first successful attempt that started after it.
 * Refusals under the threshold are recorded too (a finding that does not fire), so the row counts every refusal.
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../model/span.js';
import type { Detector, Finding } from './detector.js';
import { isModelCall } from './model-call.js';
import { isRefusal } from './refusal.js';
import type { SessionSpans } from './session-spans.js';

type RetryStormConfig = DetectorsConfig['retryStorm'];

export class RetryStormDetector implements Detector {
  readonly reason = 'retry_storm' as const;
  constructor(private readonly config: RetryStormConfig) {}

  detect(session: SessionSpans): Finding | null {
    if (session.requests.length === 0 && !session.modelCalls.some((c) => c.isError || c.errorType !== null)) return null;
    const refused: NormalizedSpan[] = [];
    const providers: (string | null)[] = [];
    const callsWithRefusedRequests = new Set<NormalizedSpan>();
    for (const r of session.requests) {
      if (!isRefusal(r)) continue;
      const parent = session.parentOf(r);
      if (parent === undefined || !isModelCall(parent)) continue;
      refused.push(r);
      providers.push(parent.genai.provider);
      callsWithRefusedRequests.add(parent);
    }
    for (const call of session.modelCalls) {
      if (callsWithRefusedRequests.has(call) || !isRefusal(call)) continue;
      refused.push(call);
      providers.push(call.genai.provider);
    }
    if (refused.length === 0) return null;

    const byProvider: Record<string, number> = {};
    for (const p of providers) byProvider[p ?? ''] = (byProvider[p ?? ''] ?? 0) + 1;
    const first = refused.reduce((a, b) => (b.startTimeUnixNano < a.startTimeUnixNano ? b : a));
    const lastEnd = refused.reduce((t, s) => (s.endTimeUnixNano > t ? s.endTimeUnixNano : t), first.endTimeUnixNano);
    const success = firstSuccessAfter(session, first.startTimeUnixNano, new Set(refused));
    const backoffNs = (success ?? lastEnd) - first.startTimeUnixNano;
    const isStorm = refused.length >= this.config.minRefusals;
    return {
      reason: this.reason,
      fired: isStorm,
      culpritSpanIds: isStorm ? refused.map((s) => s.spanId) : [],
      figures: { refusals: refused.length, refusalsByProvider: byProvider, backoffSeconds: Number(backoffNs) / 1e9 },
    };
  }
}

/** End of the earliest-ending attempt (a model call, or a request under one) that started after `fromNs` and was not refused. */
function firstSuccessAfter(session: SessionSpans, fromNs: bigint, refused: ReadonlySet<NormalizedSpan>): bigint | null {
  let best: bigint | null = null;
  const consider = (s: NormalizedSpan): void => {
    if (refused.has(s) || s.isError || s.startTimeUnixNano <= fromNs) return;
    if (best === null || s.endTimeUnixNano < best) best = s.endTimeUnixNano;
  };
  for (const r of session.requests) {
    const parent = session.parentOf(r);
    if (parent !== undefined && isModelCall(parent)) consider(r);
  }
  // A model call counts as success only without requests of its own in view (else its requests decide).
  const withRequests = new Set(session.requests.map((r) => r.parentSpanId));
  for (const c of session.modelCalls) if (!withRequests.has(c.spanId)) consider(c);
  return best;
}
