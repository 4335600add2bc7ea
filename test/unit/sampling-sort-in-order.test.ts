import { describe, expect, it } from 'vitest';
import { sortByStart, sortInOrder } from '../../src/sampling/basis/sort-in-order.js';

const span = (start: number, end: number, name: string) => ({ startTimeUnixNano: BigInt(start), endTimeUnixNano: BigInt(end), name });

describe('sortInOrder', () => {
  it('leaves a list already in order as it is, without sorting it', () => {
    const list = [1, 2, 2, 5];
    let sorted = false;
    Object.defineProperty(list, 'sort', { value: () => (sorted = true) });
    expect(sortInOrder(list, (a, b) => a - b)).toBe(list);
    expect(sorted).toBe(false);
    expect(list).toEqual([1, 2, 2, 5]);
  });

  it('sorts a list with any two neighbours out of order, in place', () => {
    const list = [1, 3, 2, 5, 4];
    expect(sortInOrder(list, (a, b) => a - b)).toBe(list);
    expect(list).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('sortByStart', () => {
  it('orders spans by start, then end, keeping the arrival order of spans equal in both (as a stable sort does)', () => {
    const spans = [span(20, 30, 'c'), span(10, 40, 'b'), span(10, 15, 'a'), span(20, 30, 'd')];
    expect(sortByStart(spans).map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
    const tied = [span(5, 6, 'x'), span(5, 6, 'y')];
    expect(sortByStart(tied).map((s) => s.name)).toEqual(['x', 'y']);
  });
});
