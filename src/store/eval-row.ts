/** Row builder for the `evals` table. */
import type { EvalResult } from '../model/span.js';
import { nsCell } from './cell-format.js';

/** One `evals` row as an object by column (row-format.ts writes its line). */
export function buildEvalRow(tenantId: string, e: EvalResult): Record<string, unknown> {
  return {
    TenantId: tenantId,
    Timestamp: nsCell(e.timeUnixNano),
    SessionId: e.target.sessionId ?? '',
    TraceId: e.target.traceId ?? '',
    SpanId: e.target.spanId ?? '',
    Name: e.name,
    Score: e.score,
    Label: e.label ?? '',
    Explanation: e.explanation ?? '',
    Source: e.source,
  };
}
