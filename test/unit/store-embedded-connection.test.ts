import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { embeddedConnection } from '../../src/store/store-client.js';

type Conn = ReturnType<typeof embeddedConnection>;

/**
 * A chDB connection that records what its raw insert and commands are given. `commandDone` (when given) is what each
 * command waits for; `order` gets 'close' and 'drain' as they happen.
 */
function recordingChdb(opts: { commandDone?: Promise<void>; order?: string[] } = {}): { conn: Conn; inserts: Record<string, unknown>[]; commands: string[] } {
  const inserts: Record<string, unknown>[] = [];
  const commands: string[] = [];
  const order = opts.order ?? [];
  const chdb = {
    chdb: {
      rawInsert: (p: Record<string, unknown>) => {
        inserts.push(p);
        return Promise.resolve({ rowsWritten: 2 });
      },
    },
    command: async (p: { query: string }) => {
      commands.push(p.query);
      await opts.commandDone;
      return { query_id: 'q', response_headers: {}, http_status_code: 200 };
    },
    exec: () => Promise.reject(new Error('not the raw path')),
    close: () => {
      order.push('close');
      return Promise.resolve();
    },
  };
  const drain = (): Promise<void> => {
    order.push('drain');
    return Promise.resolve();
  };
  return { conn: embeddedConnection(chdb as never, drain), inserts, commands };
}

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

const exec = (conn: Conn, query: string, settings: Record<string, unknown> = {}) =>
  conn.exec({ query, values: Readable.from([Buffer.from('[1,"a"]\n[2,"b"]\n')]), clickhouse_settings: settings, query_id: 'q1' } as never);

describe('embeddedConnection', () => {
  it("hands a compact insert's column list and format to chDB's raw insert, parsed on one thread", async () => {
    const { conn, inserts, commands } = recordingChdb();
    const res = await exec(conn, 'INSERT INTO agenttail.trace_ts (TenantId, TraceId, Start, End) FORMAT JSONCompactEachRow', { insert_deduplication_token: 'tok', wait_end_of_query: 1 });
    expect(inserts).toHaveLength(1);
    expect(inserts[0]).toMatchObject({ table: 'agenttail.trace_ts', columns: ['TenantId', 'TraceId', 'Start', 'End'], format: 'JSONCompactEachRow' });
    // The HTTP-only setting is dropped; the caller's token goes through; parsing is single-threaded by default.
    expect(inserts[0]!.settings).toEqual({ input_format_parallel_parsing: 0, insert_deduplication_token: 'tok' });
    expect((inserts[0]!.values as Buffer).toString()).toBe('[1,"a"]\n[2,"b"]\n');
    expect((res as { summary: { written_rows: string } }).summary.written_rows).toBe('2');
    expect(commands).toContain('SYSTEM JEMALLOC PURGE');
    await conn.close();
  });

  it('keeps a JSONEachRow insert without a column list, and a caller that asks for parallel parsing gets it', async () => {
    const { conn, inserts } = recordingChdb();
    await exec(conn, 'INSERT INTO agenttail.usage_hourly FORMAT JSONEachRow', { input_format_parallel_parsing: 1 });
    expect(inserts[0]).toMatchObject({ table: 'agenttail.usage_hourly', columns: undefined, format: 'JSONEachRow', settings: { input_format_parallel_parsing: 1 } });
    // Anything else is not the raw path.
    await expect(exec(conn, 'INSERT INTO agenttail.x SELECT 1')).rejects.toThrow('not the raw path');
    await conn.close();
  });

  it('closes only after the purge still running, then waits for chDB to release the engine', async () => {
    let release!: () => void;
    const order: string[] = [];
    const { conn, commands } = recordingChdb({ commandDone: new Promise<void>((resolve) => (release = resolve)), order });
    // An insert whose purge has not come back yet (the caller did not wait for it: an abandoned flush).
    void exec(conn, 'INSERT INTO agenttail.spans FORMAT JSONEachRow');
    await ticks(3);
    expect(commands).toEqual(['SYSTEM JEMALLOC PURGE']);
    let closed = false;
    const closing = conn.close().then(() => (closed = true));
    await ticks(5);
    // The engine is not closed under the running purge.
    expect(order).toEqual([]);
    expect(closed).toBe(false);
    release();
    await closing;
    // Then closed, then chDB's wait for everything still outstanding in the engine.
    expect(order).toEqual(['close', 'drain']);
  });
});
