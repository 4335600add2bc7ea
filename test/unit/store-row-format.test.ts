import { describe, expect, it } from 'vitest';
import { buildEvalRow } from '../../src/store/eval-row.js';
import { COMPACT_COLUMNS, insertStatement, objectLine, rowFormat, rowLine } from '../../src/store/row-format.js';
import { sessionTableRows } from '../../src/store/session-rows.js';
import type { StoreTable } from '../../src/store/tables.js';
import { randomSession, seeded } from '../integration/store-fixtures.js';

const BASE = 1_763_800_000_000_000_000n;

/** Rows of every compact table from writes whose spans vary (provider calls or not, events, links, unpriced). */
function compactRows(): [StoreTable, Record<string, unknown>[]][] {
  const out: [StoreTable, Record<string, unknown>[]][] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const s = randomSession({ tenantId: 't', rand: seeded(seed), kept: true, baseNs: BASE });
    const decision = { ...s.write.decision, detectors: { fired: ['tool_loop' as const], figures: { loopLength: 4, refusalsByProvider: { openai: 1 } }, culprits: [] } };
    for (const t of sessionTableRows({ ...s.write, storeSpans: true, decision })) if (t.rows !== null && COMPACT_COLUMNS[t.table] !== undefined) out.push([t.table, t.rows]);
  }
  return out;
}

describe('row-format', () => {
  it('lists every key a builder sets on a compact table (a key left out would be lost)', () => {
    const seen = new Set<string>();
    for (const [table, rows] of compactRows()) {
      seen.add(table);
      const columns = new Set(COMPACT_COLUMNS[table]);
      for (const row of rows) for (const key of Object.keys(row)) expect(columns.has(key), `${table}.${key}`).toBe(true);
    }
    expect([...seen].sort()).toEqual(['session_ts', 'sessions', 'spans', 'trace_ts']);
  });

  it('writes a compact row as its values in column order, an undefined value as null, and holds nothing after', () => {
    const line = rowLine('trace_ts', { End: '2', TraceId: 'abc', TenantId: 't', Start: undefined });
    expect(line).toBe('["t","abc",null,"2"]');
    for (const [table, rows] of compactRows()) {
      const values = JSON.parse(rowLine(table, rows[0]!)) as unknown[];
      expect(values).toHaveLength(COMPACT_COLUMNS[table]!.length);
      expect(values[COMPACT_COLUMNS[table]!.indexOf('TenantId')]).toBe('t');
    }
    // Each row's scratch array is refilled: a shorter row leaves nothing of the one before.
    expect(rowLine('trace_ts', {})).toBe('[null,null,null,null]');
  });

  it('writes the other tables as JSONEachRow objects', () => {
    const row = buildEvalRow('t', { target: { sessionId: 's', traceId: null, spanId: null }, name: 'faithfulness', score: 0.5, label: null, explanation: null, source: 'api', timeUnixNano: BASE });
    expect(rowLine('evals', row)).toBe(JSON.stringify(row));
    expect(rowFormat('evals')).toBe('JSONEachRow');
    expect(rowFormat('spans')).toBe('JSONCompactEachRow');
    expect(insertStatement('agenttail', 'usage_hourly')).toBe('INSERT INTO agenttail.usage_hourly FORMAT JSONEachRow');
    expect(insertStatement('db', 'session_ts')).toBe('INSERT INTO db.session_ts (TenantId, SessionId, Start, End) FORMAT JSONCompactEachRow');
  });

  it('turns a compact line back into its object for a dead letter, newline kept; other lines pass as they are', () => {
    for (const [table, rows] of compactRows()) {
      const row = rows[rows.length - 1]!;
      const back = JSON.parse(objectLine(table, rowLine(table, row))) as Record<string, unknown>;
      // What JSONEachRow would have sent: the keys with a value (a null and an absent key both leave the default).
      const sent = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
      for (const k of Object.keys(sent)) if (sent[k] === null) delete sent[k];
      expect(back).toEqual(sent);
    }
    expect(objectLine('trace_ts', '["t","abc","1","2"]\n')).toBe('{"TenantId":"t","TraceId":"abc","Start":"1","End":"2"}\n');
    expect(objectLine('evals', '{"a":1}\n')).toBe('{"a":1}\n');
    expect(objectLine('spans', '{"SpanId":"x"}')).toBe('{"SpanId":"x"}');
    expect(objectLine('spans', '[not json')).toBe('[not json');
  });
});
