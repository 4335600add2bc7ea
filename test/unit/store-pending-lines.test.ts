import { describe, expect, it } from 'vitest';
import { appendRow, emptyPendingLines, markWrite, takeWrites, type PendingLines } from '../../src/store/pending-lines.js';

/** Pending rows of writes a (2 rows of 10 characters, 11 bytes with their newline), b (1 of 30), c (3 of 10). */
function pending(): PendingLines {
  const p = emptyPendingLines();
  for (const [key, sizes] of [['a', [10, 10]], ['b', [30]], ['c', [10, 10, 10]]] as const) {
    for (const n of sizes) appendRow(p, key.repeat(n));
    markWrite(p, key);
  }
  return p;
}

const lines = (body: Buffer): string[] => body.toString('utf8').split('\n').slice(0, -1);

describe('pending rows', () => {
  it('hold each row as UTF-8 with its newline, counted in bytes', () => {
    const p = emptyPendingLines();
    appendRow(p, '{"a":"é€😀"}');
    appendRow(p, '{"b":1}');
    markWrite(p, 'k');
    // é 2 bytes, € 3, 😀 4 (two UTF-16 units): 17 bytes and a newline, then 7 and a newline.
    expect(p.bytes).toBe(18 + 8);
    expect(p.rows).toBe(2);
    const t = takeWrites(p, Infinity);
    expect(t.body.toString('utf8')).toBe('{"a":"é€😀"}\n{"b":1}\n');
    expect(t.bytes).toBe(26);
  });

  it('grow past the first buffer without losing a byte', () => {
    const p = emptyPendingLines();
    const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, text: 'x'.repeat(i % 97), other: 'ü'.repeat(i % 13) }));
    for (const [i, r] of rows.entries()) {
      appendRow(p, r);
      if (i % 10 === 9) markWrite(p, `w${i}`);
    }
    expect(p.text!.length).toBeGreaterThan(64 * 1024);
    const t = takeWrites(p, Infinity);
    expect(lines(t.body)).toEqual(rows);
    expect(t.rows).toBe(3000);
    expect(t.bytes).toBe(Buffer.byteLength(rows.join('\n') + '\n'));
  });
});

describe('takeWrites', () => {
  it('takes everything when it fits, and the queue starts empty again', () => {
    const p = pending();
    const t = takeWrites(p, Infinity);
    expect(t.keys).toEqual(['a', 'b', 'c']);
    expect(t.rows).toBe(6);
    expect(t.bytes).toBe(86);
    expect(lines(t.body)).toEqual(['a'.repeat(10), 'a'.repeat(10), 'b'.repeat(30), 'c'.repeat(10), 'c'.repeat(10), 'c'.repeat(10)]);
    expect(p).toEqual(emptyPendingLines());
    // Rows queued after the take do not write over the body handed out.
    appendRow(p, 'z'.repeat(10));
    markWrite(p, 'd');
    expect(lines(t.body)[0]).toBe('a'.repeat(10));
  });

  it('cuts between whole writes under the limit and leaves the rest pending with their ends', () => {
    const p = pending();
    const t = takeWrites(p, 55);
    expect(t.keys).toEqual(['a', 'b']);
    expect(lines(t.body)).toEqual(['a'.repeat(10), 'a'.repeat(10), 'b'.repeat(30)]);
    expect(t.rows).toBe(3);
    expect(t.bytes).toBe(53);
    expect(p.keys).toEqual(['c']);
    expect(p.ends).toEqual([33]);
    expect(p.rowEnds).toEqual([3]);
    expect(p.bytes).toBe(33);
    expect(p.rows).toBe(3);
    // Rows queued after a cut follow the ones left.
    appendRow(p, 'd'.repeat(5));
    markWrite(p, 'd');
    const rest = takeWrites(p, 55);
    expect(rest.keys).toEqual(['c', 'd']);
    expect(lines(rest.body)).toEqual(['c'.repeat(10), 'c'.repeat(10), 'c'.repeat(10), 'd'.repeat(5)]);
    // The cut's body is its own copy: the rows moved up behind it did not change it.
    expect(lines(t.body)).toEqual(['a'.repeat(10), 'a'.repeat(10), 'b'.repeat(30)]);
  });

  it('takes at least one write, even one larger than the limit, and never splits a write', () => {
    const p = pending();
    const t = takeWrites(p, 5);
    expect(t.keys).toEqual(['a']);
    expect(t.rows).toBe(2);
    expect(p.keys).toEqual(['b', 'c']);
    expect(p.ends).toEqual([31, 64]);
    expect(p.rowEnds).toEqual([1, 4]);
  });

  it('takes nothing from an empty queue, and hands back the keys of writes that added no row', () => {
    const t = takeWrites(emptyPendingLines(), Infinity);
    expect(t.rows).toBe(0);
    expect(t.keys).toEqual([]);
    expect(t.body.length).toBe(0);
    const p = emptyPendingLines();
    markWrite(p, 'none');
    const k = takeWrites(p, Infinity);
    expect(k).toMatchObject({ rows: 0, bytes: 0, keys: ['none'] });
    expect(p).toEqual(emptyPendingLines());
  });
});
