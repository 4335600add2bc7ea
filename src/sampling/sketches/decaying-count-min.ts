/**
 * A count-min sketch whose counts decay exponentially with a half-life (forward decay: new increments are
 * inflated by 2^(t/halfLife) instead of deflating every cell, and the cells are rescaled when the
 * inflation grows large). Estimates never undercount (within float error); collisions overcount.
 */
import { murmur3 } from '../basis/hash.js';

/** Rescale once the inflation factor exceeds 2^RESCALE_EXPONENT, well inside float64 precision. */
const RESCALE_EXPONENT = 32;

export interface DecayingCountMinParams {
  width: number;
  depth: number;
  halfLifeMs: number;
  /** Time origin, ms (the first observation time usually). */
  startMs: number;
}

/** Decayed frequency counts of string keys, plus the decayed total of all increments. */
export class DecayingCountMin {
  private readonly width: number;
  private readonly depth: number;
  private readonly halfLifeMs: number;
  private readonly cells: Float64Array;
  private originMs: number;
  private clockMs: number;
  private inflatedTotal = 0;

  constructor(params: DecayingCountMinParams) {
    this.width = params.width;
    this.depth = params.depth;
    this.halfLifeMs = params.halfLifeMs;
    this.cells = new Float64Array(params.width * params.depth);
    this.originMs = params.startMs;
    this.clockMs = params.startMs;
  }

  /** Bytes held by the counters. */
  get bytes(): number {
    return this.cells.byteLength;
  }

  /** Decayed count of `key` as of the sketch clock (the latest time seen). */
  estimate(key: string, nowMs: number): number {
    this.advance(nowMs);
    const [h1, h2] = hashes(key);
    let min = Infinity;
    for (let row = 0; row < this.depth; row++) {
      const v = this.cells[row * this.width + column(h1, h2, row, this.width)]!;
      if (v < min) min = v;
    }
    return min / this.scale();
  }

  /** Decayed total of all increments. */
  total(nowMs: number): number {
    this.advance(nowMs);
    return this.inflatedTotal / this.scale();
  }

  /** Adds `count` occurrences of `key` at `nowMs` (conservative update: only the minimum cells grow). */
  add(key: string, nowMs: number, count: number = 1): void {
    this.advance(nowMs);
    const inc = count * this.scale();
    const [h1, h2] = hashes(key);
    let min = Infinity;
    const idx = new Array<number>(this.depth);
    for (let row = 0; row < this.depth; row++) {
      const i = row * this.width + column(h1, h2, row, this.width);
      idx[row] = i;
      if (this.cells[i]! < min) min = this.cells[i]!;
    }
    // Conservative update keeps the overcount from collisions smaller than plain count-min.
    const target = min + inc;
    for (const i of idx) if (this.cells[i]! < target) this.cells[i] = target;
    this.inflatedTotal += inc;
  }

  /** The sketch clock only moves forward, so an out-of-order time never re-inflates old counts. */
  private advance(nowMs: number): void {
    if (nowMs > this.clockMs) this.clockMs = nowMs;
    if ((this.clockMs - this.originMs) / this.halfLifeMs > RESCALE_EXPONENT) this.rescale();
  }

  private scale(): number {
    return 2 ** ((this.clockMs - this.originMs) / this.halfLifeMs);
  }

  private rescale(): void {
    const s = this.scale();
    for (let i = 0; i < this.cells.length; i++) this.cells[i] = this.cells[i]! / s;
    this.inflatedTotal /= s;
    this.originMs = this.clockMs;
  }
}

function hashes(key: string): [number, number] {
  return [murmur3(key, 0x2545f491), murmur3(key, 0x6c8e9cf5) | 1];
}

// Kirsch–Mitzenmacher double hashing: row i uses h1 + i * h2.
function column(h1: number, h2: number, row: number, width: number): number {
  return ((h1 + Math.imul(row, h2)) >>> 0) % width;
}
