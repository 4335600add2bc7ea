/** Streaming quantiles per key (tenant + agent) with DDSketch, bounded by an LRU of keys. */
import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';
import { LRUCache } from 'lru-cache';

/** The three quartiles of a key's values. */
export interface Quartiles {
  q25: number;
  q50: number;
  q75: number;
}

export interface QuantileTrackerParams {
  /** Keys held; the least recently used sketch is forgotten past this. */
  maxKeys: number;
  /** DDSketch relative accuracy. */
  relativeAccuracy?: number;
  /** Bins per sketch before the lowest are collapsed (high quantiles stay accurate). */
  binLimit?: number;
}

/** Answers "is this value above the q-quantile of what this key has seen?" and learns the value. */
export class QuantileTracker {
  private readonly sketches: LRUCache<string, LogCollapsingLowestDenseDDSketch>;
  private readonly relativeAccuracy: number;
  private readonly binLimit: number;

  constructor(params: QuantileTrackerParams) {
    this.sketches = new LRUCache({ max: params.maxKeys });
    this.relativeAccuracy = params.relativeAccuracy ?? 0.01;
    this.binLimit = params.binLimit ?? 512;
  }

  /** Number of keys held. */
  get size(): number {
    return this.sketches.size;
  }

  /** Values seen for `key`. */
  count(key: string): number {
    return this.sketches.peek(key)?.count ?? 0;
  }

  /**
   * The q-quantile of the values seen so far for `key`, or null before `warmupCount` values (the
   * quantile of a handful of sessions would flag ordinary ones).
   */
  quantile(key: string, q: number, warmupCount: number): number | null {
    const sketch = this.sketches.get(key);
    if (sketch === undefined || sketch.count < warmupCount) return null;
    return sketch.getValueAtQuantile(q);
  }

  /** The quartiles of `key`'s values, or null before `warmupCount` values. Does not touch the key's recency. */
  quartiles(key: string, warmupCount: number): Quartiles | null {
    const sketch = this.sketches.peek(key);
    if (sketch === undefined || sketch.count < warmupCount) return null;
    return { q25: sketch.getValueAtQuantile(0.25), q50: sketch.getValueAtQuantile(0.5), q75: sketch.getValueAtQuantile(0.75) };
  }

  /** True when `value` is above `threshold` by more than the sketch's relative error. */
  exceeds(value: number, threshold: number): boolean {
    return value > threshold * (1 + 2 * this.relativeAccuracy) + Number.EPSILON;
  }

  /**
   * True when `value` is above the q-quantile of `key` by more than the sketch's error (so a flat history,
   * every value the same, flags nothing). False before `warmupCount` values.
   */
  isAbove(key: string, value: number, q: number, warmupCount: number): boolean {
    const threshold = this.quantile(key, q, warmupCount);
    if (threshold === null) return false;
    return this.exceeds(value, threshold);
  }

  /** Learns one value for `key`. Non-finite values are ignored (they would poison the sketch). */
  add(key: string, value: number): void {
    if (!Number.isFinite(value)) return;
    let sketch = this.sketches.get(key);
    if (sketch === undefined) {
      sketch = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: this.relativeAccuracy, binLimit: this.binLimit });
      this.sketches.set(key, sketch);
    }
    sketch.accept(value);
  }
}
