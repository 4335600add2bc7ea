/**
 * The one order of spans by time, for tool paths, turns and the detectors: by start, then by end. Starts tie often —
 * the OTel JS SDK stamps starts in whole milliseconds, so calls made one after another in the same millisecond share a
 * start — and the one that ended first came first; arrival order (which a re-delivery or another batch changes) never
 * decides.
 */
import type { NormalizedSpan } from '../model/span.js';

/** Orders spans by start time, then end time (for `Array.prototype.sort`). */
export function byStart(a: Pick<NormalizedSpan, 'startTimeUnixNano' | 'endTimeUnixNano'>, b: Pick<NormalizedSpan, 'startTimeUnixNano' | 'endTimeUnixNano'>): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.endTimeUnixNano < b.endTimeUnixNano ? -1 : a.endTimeUnixNano > b.endTimeUnixNano ? 1 : 0;
}
