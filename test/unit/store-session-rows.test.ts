import { describe, expect, it } from 'vitest';
import { sessionTableRows } from '../../src/store/session-rows.js';
import { randomSession, seeded } from '../integration/store-fixtures.js';

const BASE = 1_763_800_000_000_000_000n;

describe('sessionTableRows', () => {
  it('gives a kept write its session row, span rows and lookups, and its detail part the span rows without a second session row', () => {
    const s = randomSession({ tenantId: 't', rand: seeded(3), kept: true, baseNs: BASE });
    const first = sessionTableRows({ ...s.write, storeSpans: false });
    expect(first.map((t) => t.table)).toContain('sessions');
    expect(first.map((t) => t.table)).not.toContain('spans');
    const detail = sessionTableRows({ ...s.write, storeSpans: true, countUsage: false, part: 'detail' });
    const tables = detail.map((t) => t.table);
    expect(tables).not.toContain('sessions');
    expect(tables).toContain('spans');
    expect(tables).not.toContain('usage_hourly');
    expect(detail.find((t) => t.table === 'spans')!.rows).toHaveLength(s.write.spans.length);
    // A write in one part (whole spans) has both.
    const whole = sessionTableRows({ ...s.write, storeSpans: true }).map((t) => t.table);
    expect(whole).toEqual(expect.arrayContaining(['sessions', 'spans']));
  });
});
