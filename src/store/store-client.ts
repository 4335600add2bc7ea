/** Creates the @clickhouse/client for the configured back end: embedded chDB or a ClickHouse server. */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, parseError, type ClickHouseClient } from '@clickhouse/client';
import { drainPending } from 'chdb';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import type { StoreConfig } from '../config/store.js';
import { AgtError } from '../model/errors.js';
import { checkDatabaseName } from './migrations.js';

// The client's own logger prints multi-line text to stderr; the store logs every failure itself
// (pino JSON, with the ClickHouse code), so the client's is switched off.
const QUIET = { level: ClickHouseLogLevel.OFF };

type ClickHouseConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

/**
 * A client for `config.kind`; the embedded engine's data directory is created when missing.
 * `connectDatabase` overrides the server connection's default database (migrations connect to
 * `default`, since a server refuses requests naming a database that does not exist yet).
 */
export async function createStoreClient(config: StoreConfig, connectDatabase?: string): Promise<ClickHouseClient> {
  checkDatabaseName(config.database);
  if (config.kind === 'embedded') {
    try {
      await mkdir(config.path, { recursive: true });
      // chdb types its Connection against its own copy of @clickhouse/client-common; the runtime
      // contract is the same (chdb's tests run @clickhouse/client over it), hence the cast.
      const connection = embeddedConnection(createChdbConnection({ path: config.path }));
      return createClient({ connection, log: QUIET });
    } catch (cause) {
      throw new AgtError('AGT_ERR_STORE', `cannot open the embedded ClickHouse at ${config.path}: ${(cause as Error).message}`, { cause });
    }
  }
  const s = config.server;
  return createClient({
    url: s.url,
    username: s.username,
    password: s.password,
    database: connectDatabase ?? s.database,
    request_timeout: s.requestTimeoutMs,
    compression: { request: s.compression, response: s.compression },
    log: QUIET,
  });
}


type Connection = NonNullable<ClickHouseConnection>;
type ExecParams = Parameters<Connection['exec']>[0];
type ExecResult = Awaited<ReturnType<Connection['exec']>>;

/**
 * `INSERT INTO <db>.<table> [(<columns>)] FORMAT <format>`, the statements the batch inserter sends (row-format.ts):
 * the table, the column list (compact rows) and the format.
 */
const INSERT_FORMAT = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([A-Za-z0-9_.,\s]+)\))?\s+FORMAT\s+(JSONEachRow|JSONCompactEachRow)\s*$/i;
/** Settings of the HTTP layer the client adds and the engine does not know (chdb/connection drops the same ones). */
const HTTP_ONLY_SETTINGS = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_response_buffer_size', 'http_headers_progress_interval_ms', 'http_send_progress_interval_ms', 'enable_http_compression', 'http_zlib_compression_level', 'http_response_compression_method', 'http_native_compression_disable_checksumming_on_decompress']);
/** How often the engine returns freed pages outside inserts (background merges free memory too). */
export const PURGE_INTERVAL_MS = 250;
/** The timer purges only once RSS has grown this much since the last purge. */
export const PURGE_MIN_GROWTH_BYTES = 8 * 1024 * 1024;
/** ClickHouse's statement returning jemalloc's freed pages to the OS (all arenas). */
export const PURGE_SQL = 'SYSTEM JEMALLOC PURGE';

/**
 * The embedded engine's connection with two changes to how inserts take memory, both for the RSS cap
 * (receive.overload.maxRssBytes, docs/storage.md "Memory"), and one to the CPU they take:
 * - an `INSERT ... [(columns)] FORMAT JSONCompactEachRow|JSONEachRow` exec hands its body to chDB as the Buffer it is
 *   (chDB's raw insert: zero-copy, settings in a SETTINGS clause), where chdb/connection turns the stream into a JS
 *   string, splices it after the statement and copies it again into the engine: three transient copies of an 8 MiB
 *   batch in the V8 heap, gone;
 * - its rows are parsed on one thread (`input_format_parallel_parsing = 0` unless the insert sets it);
 * - after every insert the engine returns the pages the insert freed (`SYSTEM JEMALLOC PURGE`): its allocator keeps
 *   them for seconds otherwise (measured +100–230 MB of RSS after one 10k-row insert with the engine's own memory
 *   tracker back at its idle 27 MB, decaying over ~5 s).
 */
export function embeddedConnection(chdb: ChdbConnection, drain: () => Promise<void> = drainPending): Connection {
  // chdb types its Connection against its own copy of @clickhouse/client-common; the runtime contract is the same
  // (chdb's tests run @clickhouse/client over it), hence the cast.
  const target = chdb as unknown as Connection;
  const rss = (): number => process.memoryUsage.rss();
  let rssAfterPurge = rss();
  // Purges still running: the timer starts none while one runs, and close awaits them (the engine must not be torn
  // down under one).
  const purges = new Set<Promise<void>>();
  const purge = (): Promise<void> => {
    const p = (async () => {
      try {
        await target.command({ query: PURGE_SQL });
      } catch {
        // nothing to undo: the pages decay on their own
      }
      rssAfterPurge = rss();
    })();
    purges.add(p);
    void p.finally(() => purges.delete(p));
    return p;
  };
  const rawInsert = async (params: ExecParams, table: string, columns: string[] | undefined, format: 'JSONEachRow' | 'JSONCompactEachRow'): Promise<ExecResult> => {
    const body = await bodyBuffer(params.values);
    // One parsing thread unless the caller says otherwise: the engine shares the collector's cores, and parsing a
    // batch (≤ store.batchBytes) in parallel chunks cost 4–10 % more of its CPU for the same rows
    // (bench/store-format.ts), for a shorter insert nobody waits on.
    const settings: Record<string, string | number | boolean> = { input_format_parallel_parsing: 0 };
    for (const [k, v] of Object.entries(params.clickhouse_settings ?? {})) {
      if (v === undefined || HTTP_ONLY_SETTINGS.has(k)) continue;
      settings[k] = typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
    }
    let written = 0;
    if (body.length > 0) {
      try {
        const r = await chdb.chdb.rawInsert({ table, columns, values: body, format, settings });
        written = r.rowsWritten;
      } catch (err) {
        const msg = err instanceof Error && err.message ? err.message : String(err);
        const mapped = parseError(msg);
        if (mapped !== err) (mapped as Error & { cause?: unknown }).cause = err;
        throw mapped;
      }
    }
    const rows = String(written);
    return {
      stream: Readable.from([]),
      query_id: params.query_id ?? randomUUID(),
      response_headers: {},
      http_status_code: 200,
      summary: { read_rows: rows, read_bytes: String(body.length), written_rows: rows, written_bytes: String(body.length), total_rows_to_read: '0', result_rows: '0', result_bytes: '0', elapsed_ns: '0' },
    } as unknown as ExecResult;
  };
  // Background merges free memory the engine keeps too: purged on a timer as well (once RSS has grown), one at a time.
  const timer = setInterval(() => {
    // Only when RSS grew since the last purge: an idle process sends no statement.
    if (purges.size > 0 || rss() - rssAfterPurge < PURGE_MIN_GROWTH_BYTES) return;
    void purge();
  }, PURGE_INTERVAL_MS);
  timer.unref();
  return new Proxy(target, {
    get(t, prop) {
      if (prop === 'close') {
        // Returns only once the engine is released. chDB's close returns at once and defers the teardown while a
        // statement still runs on a libuv thread (a timer's purge, an API query). A process that exits then (the CLI
        // right after "shutdown complete") leaves the teardown to chdb-node's atexit backstop, which closes the
        // connection under that statement: the likeliest cause of a clean shutdown ended by SIGSEGV in CI. A second
        // engine at another path is refused until then too. So: no new purge, the running ones awaited, the close,
        // and chDB's wait for everything native still outstanding.
        return async () => {
          clearInterval(timer);
          await Promise.allSettled([...purges]);
          await t.close();
          await drain();
        };
      }
      if (prop === 'insert') {
        return async (params: Parameters<Connection['insert']>[0]) => {
          try {
            return await t.insert(params);
          } finally {
            await purge();
          }
        };
      }
      if (prop === 'exec') {
        return async (params: ExecParams) => {
          const m = INSERT_FORMAT.exec(params.query);
          if (m === null || params.values === undefined) return t.exec(params);
          try {
            const columns = m[2]?.split(',').map((c) => c.trim());
            return await rawInsert(params, m[1]!, columns, m[3]!.toLowerCase() === 'jsoncompacteachrow' ? 'JSONCompactEachRow' : 'JSONEachRow');
          } finally {
            await purge();
          }
        };
      }
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** An insert body as one Buffer: a Buffer as is; a stream's chunks (one chunk, as the batch inserter sends, not copied). */
async function bodyBuffer(values: ExecParams['values']): Promise<Buffer> {
  if (values === undefined) return Buffer.alloc(0);
  if (typeof values === 'string') return Buffer.from(values, 'utf8');
  if (Buffer.isBuffer(values)) return values;
  const chunks: Buffer[] = [];
  for await (const chunk of values as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, 'utf8'));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    else throw new Error(`unsupported insert chunk type: ${typeof chunk}`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
