/**
 * A ClickHouse-compatible HTTP endpoint served from the embedded engine, for testing the store's
 * server path (`createClient({ url })`) without a ClickHouse server. It speaks what
 * @clickhouse/client sends: the query in the `query` URL parameter (body = data) or as the body,
 * settings as URL parameters, query parameters as `param_<name>` (bound as the server binds them: the
 * value is the type's text form), `database`, basic auth, gzip request bodies and gzip responses when
 * `enable_http_compression=1`; it answers with X-ClickHouse-Query-Id / -Summary / -Exception-Code
 * and ClickHouse's "Code: N. DB::Exception: ... (TYPE)" error bodies.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

type Conn = NonNullable<Parameters<typeof createClient>[0]>['connection'];

/** URL parameters that are not ClickHouse settings. */
const NON_SETTINGS = new Set(['query', 'query_id', 'database', 'default_format', 'session_id', 'user', 'password', 'role']);

/** A running endpoint: its URL, what it has seen, and how to stop it. */
export interface ClickHouseHttp {
  url: string;
  /** Per request: the database, user and whether the body/response were gzipped. */
  seen: { database: string | null; user: string | null; gzipRequest: boolean; gzipResponse: boolean; settings: Record<string, string> }[];
  /** Delay every answer by this many ms (to exercise client timeouts). */
  delayMs: number;
  /** While true, every request's connection is reset before it runs (a ClickHouse outage). */
  unavailable: boolean;
  /** Requests refused while unavailable. */
  refused: number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

function fail(res: ServerResponse, status: number, code: string, type: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': code });
  res.end(`Code: ${code}. DB::Exception: ${message}. (${type}) (version 26.7.1.1)\n`);
}

/**
 * Substitutes `{name:Type}` placeholders with the `param_name` URL values. A value is the type's escaped text form
 * (what the server parses), so a String goes in quotes as it is and any other type is parsed by CAST from that text.
 */
function bindParams(query: string, params: URLSearchParams): string {
  return query.replace(/\{(\w+):([^}]+)\}/g, (whole, name: string, type: string) => {
    const value = params.get(`param_${name}`);
    if (value === null) return whole;
    if (type.trim() === 'String') return `'${value}'`;
    return `CAST('${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}', '${type.trim()}')`;
  });
}

/** Starts the endpoint on 127.0.0.1, port 0, over a chDB engine in `path` (one engine per directory). */
export async function startClickHouseHttp(p: { path: string; username: string; password: string }): Promise<ClickHouseHttp> {
  const engine: ClickHouseClient = createClient({ connection: createChdbConnection({ path: p.path }) as unknown as Conn });
  // chDB runs one statement at a time; requests are serialised so `USE db` stays with its query.
  let queue: Promise<unknown> = Promise.resolve();
  const state: ClickHouseHttp = { url: '', seen: [], delayMs: 0, unavailable: false, refused: 0, close: async () => {} };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (state.unavailable) {
      state.refused++;
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('Ok.\n');
      return;
    }
    const auth = req.headers.authorization ?? '';
    const [user, password] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':') : [null, null];
    const settings: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!NON_SETTINGS.has(k) && !k.startsWith('param_')) settings[k] = v;
    const gzipResponse = settings.enable_http_compression === '1' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    delete settings.enable_http_compression;
    const database = url.searchParams.get('database');
    state.seen.push({ database, user, gzipRequest: req.headers['content-encoding'] === 'gzip', gzipResponse, settings });
    const body = await readBody(req);
    if (user !== p.username || password !== p.password) {
      fail(res, 401, '516', 'AUTHENTICATION_FAILED', `${String(user)}: Authentication failed: password is incorrect, or there is no user with such name`);
      return;
    }
    const urlQuery = url.searchParams.get('query');
    const query = bindParams(urlQuery ?? body.toString('utf8'), url.searchParams);
    const values = urlQuery === null || body.length === 0 ? undefined : Readable.from([body], { objectMode: false });
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    const run = queue.then(async () => {
      if (database !== null) {
        const rs = await engine.query({ query: 'SELECT count() AS c FROM system.databases WHERE name = {d:String}', query_params: { d: database }, format: 'JSONEachRow' });
        const [row] = await rs.json<{ c: number | string }>();
        if (Number(row?.c) === 0) return { missingDb: database };
        await engine.command({ query: `USE \`${database.replaceAll('`', '')}\`` });
      }
      const r = await engine.exec({ query, ...(values === undefined ? {} : { values }), clickhouse_settings: settings });
      const chunks: Buffer[] = [];
      for await (const c of r.stream) chunks.push(c as Buffer);
      return { out: Buffer.concat(chunks), summary: (r as { summary?: unknown }).summary };
    });
    queue = run.catch(() => undefined);
    try {
      const result = await run;
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
      if ('missingDb' in result) {
        fail(res, 404, '81', 'UNKNOWN_DATABASE', `Database ${result.missingDb} does not exist`);
        return;
      }
      const headers: Record<string, string> = {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Summary': JSON.stringify(result.summary ?? { read_rows: '0', written_rows: '0' }),
        'X-ClickHouse-Timezone': 'UTC',
      };
      if (gzipResponse) headers['Content-Encoding'] = 'gzip';
      res.writeHead(200, headers);
      res.end(gzipResponse ? gzipSync(result.out) : result.out);
    } catch (err) {
      const e = err as { code?: string; type?: string; message: string };
      fail(res, 500, e.code ?? '1000', e.type ?? 'POCO_EXCEPTION', e.message.replace(/^Code: \d+\. DB::Exception: /, ''));
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => fail(res, 500, '1000', 'POCO_EXCEPTION', String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await engine.close();
  };
  return state;
}
