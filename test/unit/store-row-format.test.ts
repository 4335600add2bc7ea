import { describe, expect, it } from 'vitest';
import { COMPACT_COLUMNS, insertStatement, objectLine, rowLine } from '../../src/store/row-format.js';
import { STORE_TABLES } from '../../src/store/tables.js';
import { rowsOfEveryTable } from '../integration/store-table-rows.js';

const BASE = 1_763_800_000_000_000_000n;

describe('row-format', () => {
  it('lists every key each row builder sets (a key left out would be lost), for every table the store writes', () => {
    const rows = rowsOfEveryTable(BASE);
    expect([...rows.keys()].sort()).toEqual([...STORE_TABLES].sort());
    for (const [table, list] of rows) {
      const columns = new Set(COMPACT_COLUMNS[table]);
      expect(list.length, table).toBeGreaterThan(0);
      for (const row of list) for (const key of Object.keys(row)) expect(columns.has(key), `${table}.${key}`).toBe(true);
    }
  });

  it('writes a row as its values in column order, an undefined value as null', () => {
    expect(rowLine('trace_ts', { End: '2', TraceId: 'abc', TenantId: 't', Start: undefined })).toBe('["t","abc",null,"2"]');
    expect(rowLine('trace_ts', {})).toBe('[null,null,null,null]');
    for (const [table, list] of rowsOfEveryTable(BASE)) {
      const values = JSON.parse(rowLine(table, list[0]!)) as unknown[];
      expect(values, table).toHaveLength(COMPACT_COLUMNS[table].length);
      expect(values[COMPACT_COLUMNS[table].indexOf('TenantId')], table).toBe('acme');
      expect(insertStatement('db', table)).toMatch(/ FORMAT JSONCompactEachRow$/);
    }
  });

  it('names the columns once in the INSERT; dead letters stay JSONEachRow objects', () => {
    expect(insertStatement('db', 'session_ts')).toBe('INSERT INTO db.session_ts (TenantId, SessionId, Start, End) FORMAT JSONCompactEachRow');
    expect(insertStatement('agenttail', 'dead_letter')).toBe('INSERT INTO agenttail.dead_letter FORMAT JSONEachRow');
    expect(rowLine('dead_letter', { a: 1 })).toBe('{"a":1}');
  });

  it('turns a compact line back into its object for a dead letter, newline kept; other lines pass as they are', () => {
    for (const [table, list] of rowsOfEveryTable(BASE)) {
      for (const row of list) {
        const back = JSON.parse(objectLine(table, rowLine(table, row))) as Record<string, unknown>;
        // What JSONEachRow would have sent: the keys with a value (a null and an absent key both leave the default).
        const sent = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
        for (const k of Object.keys(sent)) if (sent[k] === null) delete sent[k];
        expect(back, table).toEqual(sent);
      }
    }
    expect(objectLine('trace_ts', '["t","abc","1","2"]\n')).toBe('{"TenantId":"t","TraceId":"abc","Start":"1","End":"2"}\n');
    expect(objectLine('dead_letter', '{"a":1}\n')).toBe('{"a":1}\n');
    expect(objectLine('spans', '{"SpanId":"x"}')).toBe('{"SpanId":"x"}');
    expect(objectLine('spans', '[not json')).toBe('[not json');
  });
});
