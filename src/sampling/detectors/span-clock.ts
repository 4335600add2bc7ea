/**
 * Comparing times across spans with the clock's granularity in mind. The OTel JS SDK stamps a span's start from
 * `Date.now()` (whole milliseconds, rounded down) and its end as that start plus a high-resolution duration, so a span
 * that starts right after another ended can read up to a millisecond before that end (sdk-trace-base `Span`). Other
 * SDKs and clock corrections add their own sub-millisecond noise. Two spans closer than this are not ordered by time.
 */

/** The coarsest start clock of the SDKs we read: whole milliseconds (OTel JS `Date.now()`). */
export const CLOCK_GRANULARITY_NS = 1_000_000n; // 1 ms

/** True when a span starting at `startNs` began after one that ended at `endNs`, within the clock's granularity. */
export function startsAfterEnd(startNs: bigint, endNs: bigint): boolean {
  return startNs + CLOCK_GRANULARITY_NS >= endNs;
}

/** True when a span starting at `startNs` clearly began while one ending at `endNs` was still running. */
export function startsBeforeEnd(startNs: bigint, endNs: bigint): boolean {
  return !startsAfterEnd(startNs, endNs);
}
