import { describe, expect, it } from 'vitest';
import { markWrite, takeWrites, type PendingLines } from '../../src/store/pending-lines.js';

/** Pending rows of writes a (2 rows of 10 characters, 11 bytes with their newline), b (1 of 30), c (3 of 10). */
function pending(): PendingLines {
  const p: PendingLines = { lines: [], bytes: 0, keys: [], ends: [] };
  for (const [key, sizes] of [['a', [10, 10]], ['b', [30]], ['c', [10, 10, 10]]] as const) {
    for (const n of sizes) {
      p.lines.push(key.repeat(n));
      p.bytes += n + 1;
    }
    markWrite(p, key);
  }
  return p;
}

describe('takeWrites', () => {
  it('takes everything when it fits', () => {
    const p = pending();
    const t = takeWrites(p, Infinity);
    expect(t.keys).toEqual(['a', 'b', 'c']);
    expect(t.lines.length).toBe(6);
    expect(t.bytes).toBe(86);
    expect(p).toEqual({ lines: [], bytes: 0, keys: [], ends: [] });
  });

  it('cuts between whole writes under the limit and leaves the rest pending with their line ends', () => {
    const p = pending();
    const t = takeWrites(p, 55);
    expect(t.keys).toEqual(['a', 'b']);
    expect(t.lines).toEqual(['a'.repeat(10), 'a'.repeat(10), 'b'.repeat(30)]);
    expect(t.bytes).toBe(53);
    expect(p.keys).toEqual(['c']);
    expect(p.ends).toEqual([3]);
    expect(p.bytes).toBe(33);
    // The rest comes out whole on the next take.
    expect(takeWrites(p, 55).lines).toEqual(['c'.repeat(10), 'c'.repeat(10), 'c'.repeat(10)]);
  });

  it('takes at least one write, even one larger than the limit, and never splits a write', () => {
    const p = pending();
    const t = takeWrites(p, 5);
    expect(t.keys).toEqual(['a']);
    expect(t.lines.length).toBe(2);
    expect(p.keys).toEqual(['b', 'c']);
    expect(p.ends).toEqual([1, 4]);
  });
});
