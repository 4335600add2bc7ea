/**
 * The robust outlier threshold of `cost_outlier`: Tukey's fence on log values, from the quartiles of a key's history.
 *
 * Why not a high quantile: at a 1 % share of outliers the 99.5th percentile of a stream that contains them is itself
 * an outlier, so outliers hide themselves. The quartiles move little while outliers stay under ~20 % of the stream,
 * and working in log space makes the fence a ratio (cost and tokens are skewed and positive):
 * threshold = q75 · (q75 / q25)^k, and at least `minRatio` × the median (a flat history then flags nothing ordinary).
 * For log-normal sessions, k = 2 puts the fence 3.4 σ above the log median (0.04 % of ordinary sessions above it).
 */
import type { Quartiles } from '../sketches/quantile-tracker.js';

/** The fence for `k` and `minRatio` (both > 0). Quartiles at or below 0 fall back to the linear fence q75 + k · IQR. */
export function fenceThreshold(q: Quartiles, k: number, minRatio: number): number {
  const floor = q.q50 * minRatio;
  if (q.q25 <= 0) return Math.max(floor, q.q75 + k * (q.q75 - Math.max(0, q.q25)));
  return Math.max(floor, q.q75 * (q.q75 / q.q25) ** k);
}
