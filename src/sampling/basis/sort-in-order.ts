/**
 * Sorting lists that are mostly in order already: a session's spans arrive mostly by start time, yet
 * `Array.prototype.sort` copies a list into a work area and back even then (the tool path, turns and detectors' sorts
 * of one decision allocated ~430 bytes per span on the e2e traffic). A list already in order is left as it is; the
 * sort is stable, so that is the order it would have produced.
 */
import { byStart } from '../../conventions/span-order.js';
import type { NormalizedSpan } from '../../model/span.js';

/** Sorts `list` in place by `cmp` unless no two neighbours are out of order; returns it. */
export function sortInOrder<T>(list: T[], cmp: (a: T, b: T) => number): T[] {
  for (let i = 1; i < list.length; i++) if (cmp(list[i - 1]!, list[i]!) > 0) return list.sort(cmp);
  return list;
}

/** Sorts spans in place by start, then end time (conventions/span-order.ts), unless they are in that order; returns them. */
export function sortByStart<T extends Pick<NormalizedSpan, 'startTimeUnixNano' | 'endTimeUnixNano'>>(spans: T[]): T[] {
  return sortInOrder(spans, byStart);
}
