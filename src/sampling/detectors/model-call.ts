/** Which spans are model calls, for the detectors and the errors policy. */
import { CALL_OPERATIONS } from '../../conventions/aliases.js';
import type { NormalizedSpan } from '../../conventions/types.js';

/** A span of an actual model call: it counts usage, or its operation is one of the call operations (a refused call has no usage). */
export function isModelCall(span: NormalizedSpan): boolean {
  if (span.usageRole === 'call') return true;
  const op = span.genai.operation;
  return op !== null && CALL_OPERATIONS.includes(op);
}

/** Orders spans by start time (then end time), in place. */
export function byStart(a: NormalizedSpan, b: NormalizedSpan): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.endTimeUnixNano < b.endTimeUnixNano ? -1 : a.endTimeUnixNano > b.endTimeUnixNano ? 1 : 0;
}
