/** Row builders for the `session_ts` and `trace_ts` lookups (id → time range of the stored spans). */
import type { NormalizedSpan } from '../model/span.js';
import { nsCell } from './cell-format.js';

/** Min start / max end of `spans` per trace id, as `trace_ts` rows. */
export function buildTraceTsRows(tenantId: string, spans: NormalizedSpan[]): Record<string, unknown>[] {
  const ranges = new Map<string, { start: bigint; end: bigint }>();
  for (const s of spans) {
    const r = ranges.get(s.traceId);
    if (r === undefined) ranges.set(s.traceId, { start: s.startTimeUnixNano, end: s.endTimeUnixNano });
    else {
      if (s.startTimeUnixNano < r.start) r.start = s.startTimeUnixNano;
      if (s.endTimeUnixNano > r.end) r.end = s.endTimeUnixNano;
    }
  }
  return [...ranges].map(([traceId, r]) => ({ TenantId: tenantId, TraceId: traceId, Start: nsCell(r.start), End: nsCell(r.end) }));
}

/** Min start / max end of `spans` for one session, as a `session_ts` row (null when no spans). */
export function buildSessionTsRow(tenantId: string, sessionId: string, spans: NormalizedSpan[]): Record<string, unknown> | null {
  if (spans.length === 0) return null;
  let start = spans[0]!.startTimeUnixNano;
  let end = spans[0]!.endTimeUnixNano;
  for (const s of spans) {
    if (s.startTimeUnixNano < start) start = s.startTimeUnixNano;
    if (s.endTimeUnixNano > end) end = s.endTimeUnixNano;
  }
  return { TenantId: tenantId, SessionId: sessionId, Start: nsCell(start), End: nsCell(end) };
}
