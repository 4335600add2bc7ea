/**
 * Which spans are model calls, for the detectors and the errors policy: the conventions' one rule (a span that counts
 * usage, or a call operation on a span that is not a wrapper carrying its children's usage), so detectors, the
 * residency policy and the provider rollup count the same calls.
 */
import type { NormalizedSpan } from '../../conventions/types.js';

export { isModelCall } from '../../conventions/provider-call.js';

/** Orders spans by start time (then end time), in place. */
export function byStart(a: NormalizedSpan, b: NormalizedSpan): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.endTimeUnixNano < b.endTimeUnixNano ? -1 : a.endTimeUnixNano > b.endTimeUnixNano ? 1 : 0;
}
