import { describe, expect, it } from 'vitest';
import { sessionTableRows } from '../../src/store/session-rows.js';
import { buildSpanRow } from '../../src/store/span-row.js';
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

  it('writes each span row as buildSpanRow alone does when spans share, alternate and differ in resource objects', () => {
    const s = randomSession({ tenantId: 't', rand: seeded(8), kept: true, baseNs: BASE });
    const a = { 'service.name': 'a', n: 1 };
    const b = { 'service.name': 'b', list: ['x', 'y'] };
    const spans = [...s.write.spans, ...s.write.spans].map((span, i) => ({ ...span, resourceAttributes: [a, a, b, a, { ...a }, b][i % 6]! }));
    spans[1] = { ...spans[1]!, events: [], links: [{ traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceState: '', attributes: { k: 2 } }] };
    const write = { ...s.write, spans, storeSpans: true };
    const rows = sessionTableRows(write).find((t) => t.table === 'spans')!.rows!;
    expect(rows.map((r) => JSON.stringify(r))).toEqual(spans.map((span) => JSON.stringify(buildSpanRow(span, write.summary.sessionId, write.decision))));
    expect(rows[2]!.ResourceAttributes).toEqual({ 'service.name': 'b', list: '["x","y"]' });
  });
});

