import { describe, expect, it } from 'vitest';
import { linesBuffer } from '../../src/store/pending-lines.js';

/** The body the rows make as JSONEachRow text: each row and a newline. */
const expected = (rows: string[]): Buffer => Buffer.from(rows.map((r) => `${r}\n`).join(''), 'utf8');

describe('linesBuffer (a batch body without the joined string)', () => {
  it('holds each row’s UTF-8 bytes and a newline, for ASCII rows', () => {
    const rows = ['{"a":"x"}', '', '{"c":"' + 'z'.repeat(10_000) + '"}'];
    const body = linesBuffer(rows);
    expect(body.equals(expected(rows))).toBe(true);
    expect(body.length).toBe(rows.reduce((n, r) => n + r.length + 1, 0));
  });

  it('holds the exact bytes when rows are not ASCII, wherever the first such row is', () => {
    const other = ['{"b":"é→😀"}', '{"d":"\u00ff"}', '{"e":"\ud800"}', '{"f":"日本語"}'];
    for (const odd of other) {
      for (const at of [0, 1, 3]) {
        const rows = ['{"a":"x"}', '{"c":"' + 'z'.repeat(300) + '"}', '{"g":1}'];
        rows.splice(at, 0, odd);
        const body = linesBuffer(rows);
        expect(body.equals(expected(rows))).toBe(true);
        expect(body.length).toBe(Buffer.byteLength(rows.map((r) => `${r}\n`).join(''), 'utf8'));
      }
    }
    // Last rows whose characters do not fit the room their length leaves: 'aéé😀' (5 UTF-16 units) would write exactly
    // 5 bytes ('aéé') into 5 bytes and a newline, as if it were ASCII, without the room to spare.
    for (const last of ['é'.repeat(3), 'aéé😀', '😀', 'a😀']) {
      const tail = ['{"a":"x"}', last];
      expect(linesBuffer(tail).equals(expected(tail))).toBe(true);
    }
  });

  it('is empty for no rows', () => {
    expect(linesBuffer([]).length).toBe(0);
  });
});
