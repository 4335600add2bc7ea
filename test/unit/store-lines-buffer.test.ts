import { describe, expect, it } from 'vitest';
import { linesBuffer } from '../../src/store/table-queue.js';

describe('linesBuffer (a batch body without the joined string)', () => {
  it('holds exactly the UTF-8 bytes of the joined lines, multi-byte characters included', () => {
    const lines = ['{"a":"x"}\n', '{"b":"é→😀"}\n', '\n', '{"c":"' + 'z'.repeat(10_000) + '"}\n'];
    const body = linesBuffer(lines);
    expect(body.equals(Buffer.from(lines.join(''), 'utf8'))).toBe(true);
    expect(body.length).toBe(Buffer.byteLength(lines.join(''), 'utf8'));
  });

  it('is empty for no lines', () => {
    expect(linesBuffer([]).length).toBe(0);
  });
});
