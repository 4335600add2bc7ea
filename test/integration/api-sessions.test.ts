import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attributes } from '../../src/model/otlp-values.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';
import { startTestServer, TENANT_KEYS, type TestServer } from '../support/server.js';

const HOUR_NS = 3_600_000_000_000n;
const NOW_NS = BigInt(Date.now()) * 1_000_000n;
const MS = 1_000_000n;

interface SessionJson {
  tenantId: string;
  sessionId: string;
  kept: boolean;
  reasons: string[];
  sampleWeight: number;
  costUsd: string;
  inputTokens: number;
  outputTokens: number;
  spanCount: number;
  errorCount: number;
  traceIds: string[];
  toolPath: string[];
  models: string[];
  trigger: string;
  startTime: string;
  endTime: string;
  decidedAt: string;
  version: number;
  spans?: SpanJson[];
}
interface SpanJson {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  operation: string;
  model: string;
  tool: string;
  statusCode: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: string | null;
  timestamp: string;
  children: SpanJson[];
}

let ids = 0;
const nextId = (bytes: 8 | 16) => fixtureId(++ids, bytes);

function chat(traceId: string, parentSpanId: string, sessionId: string, startNs: bigint, input: number, output: number): FixtureSpan {
  return {
    traceId,
    spanId: nextId(8),
    parentSpanId,
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: startNs,
    endTimeUnixNano: startNs + 50n * MS,
    attributes: {
      'session.id': sessionId,
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
    },
  };
}

function span(traceId: string, parentSpanId: string | undefined, name: string, startNs: bigint, attributes: Attributes, error = false): FixtureSpan {
  return {
    traceId,
    spanId: nextId(8),
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name,
    startTimeUnixNano: startNs,
    endTimeUnixNano: startNs + 200n * MS,
    attributes,
    ...(error ? { status: { code: 2 as const, message: 'tool failed' } } : {}),
  };
}

/** A session of one trace with one chat call (0.00045 USD at the catalog's gpt-4o-mini price). */
function plainSession(sessionId: string, startNs: bigint): FixtureSpan[] {
  const traceId = nextId(16);
  const root = span(traceId, undefined, 'invoke_agent helper', startNs, { 'session.id': sessionId, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper' });
  return [root, chat(traceId, root.spanId, sessionId, startNs + 10n * MS, 1000, 500)];
}

describe('GET /api/v1/sessions and /api/v1/sessions/:id', () => {
  let t: TestServer;
  const START = { s1: NOW_NS - 1n * HOUR_NS, s2: NOW_NS - 2n * HOUR_NS, other: NOW_NS - 3n * HOUR_NS, globex: NOW_NS - HOUR_NS / 2n, shared: NOW_NS - 4n * HOUR_NS };
  // The error session's tree: trace A = root → (chat, tool[error] → http), trace B = root → chat.
  const tree = { traceA: '', traceB: '', root: '', chat1: '', tool: '', http: '', rootB: '', chat2: '' };

  async function send(key: string, spans: FixtureSpan[]): Promise<void> {
    const res = await fetch(`${t.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'x-api-key': key },
      body: buildExportRequest(spans, { 'service.name': 'support-bot' }),
    });
    expect(res.status).toBe(200);
  }

  async function get<T>(path: string, key: string | null = 'key-admin'): Promise<{ status: number; body: T & { errorCode?: string; message?: string } }> {
    const res = await fetch(`${t.httpUrl}${path}`, { headers: key === null ? {} : { 'x-api-key': key } });
    return { status: res.status, body: (await res.json()) as never };
  }

  const list = async (qs: string, key: string | null = 'key-admin') => get<{ mode: string; sessions: SessionJson[] }>(`/api/v1/sessions?${qs}`, key);
  const names = (r: { body: { sessions: SessionJson[] } }) => r.body.sessions.map((s) => `${s.tenantId}/${s.sessionId}`);

  beforeAll(async () => {
    t = await startTestServer({
      ...TENANT_KEYS,
      // Only errors keep: ordinary sessions are dropped deterministically.
      sampling: { baselineRate: 0, policies: { rarePath: { enabled: false } } },
    });
    tree.traceA = nextId(16);
    tree.traceB = nextId(16);
    const root = span(tree.traceA, undefined, 'invoke_agent support', START.s1, { 'session.id': 'acme-s1', 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' });
    const chat1 = chat(tree.traceA, root.spanId, 'acme-s1', START.s1 + 10n * MS, 1000, 500);
    const tool = span(tree.traceA, root.spanId, 'execute_tool search', START.s1 + 100n * MS, { 'session.id': 'acme-s1', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' }, true);
    const http = span(tree.traceA, tool.spanId, 'GET /search', START.s1 + 110n * MS, { 'session.id': 'acme-s1', 'http.request.method': 'GET' });
    const rootB = span(tree.traceB, undefined, 'invoke_agent support', START.s1 + 1000n * MS, { 'session.id': 'acme-s1', 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' });
    const chat2 = chat(tree.traceB, rootB.spanId, 'acme-s1', START.s1 + 1010n * MS, 2000, 100);
    Object.assign(tree, { root: root.spanId, chat1: chat1.spanId, tool: tool.spanId, http: http.spanId, rootB: rootB.spanId, chat2: chat2.spanId });
    await send('key-acme', [root, chat1, tool, http, rootB, chat2]);
    await send('key-acme', plainSession('acme-s2', START.s2));
    await send('key-acme', plainSession('acme-other-3', START.other));
    await send('key-acme', plainSession('shared-1', START.shared));
    const gTrace = nextId(16);
    const gRoot = span(gTrace, undefined, 'invoke_agent support', START.globex, { 'session.id': 'globex-s1', 'gen_ai.operation.name': 'invoke_agent' });
    await send('key-globex', [gRoot, span(gTrace, gRoot.spanId, 'execute_tool lookup', START.globex + 5n * MS, { 'session.id': 'globex-s1', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' }, true)]);
    await send('key-globex', plainSession('shared-1', START.shared));

    // Wait until every session row and the kept sessions' spans are written.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const all = await list('limit=100');
      const s1 = await get<SessionJson>('/api/v1/sessions/acme-s1');
      const g1 = await get<SessionJson>('/api/v1/sessions/globex-s1');
      if (all.body.sessions.length === 6 && (s1.body.spans?.length ?? 0) > 0 && (g1.body.spans?.length ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error(`sessions not written in time: ${JSON.stringify(names(all))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('list', () => {
    it('shows an admin every tenant, newest first', async () => {
      const r = await list('');
      expect(r.status).toBe(200);
      expect(r.body.mode).toBe('admin');
      expect(names(r).slice(0, 4)).toEqual(['globex/globex-s1', 'acme/acme-s1', 'acme/acme-s2', 'acme/acme-other-3']);
      // Both shared-1 sessions start at the same time: the tenant breaks the tie (descending), so pages are stable.
      expect(names(r).slice(4)).toEqual(['globex/shared-1', 'acme/shared-1']);
    });

    it('filters by tenant, kept, reason, session prefix and limit', async () => {
      expect(names(await list('tenant=acme'))).toEqual(['acme/acme-s1', 'acme/acme-s2', 'acme/acme-other-3', 'acme/shared-1']);
      expect(names(await list('kept=true'))).toEqual(['globex/globex-s1', 'acme/acme-s1']);
      expect(names(await list('kept=false&tenant=acme'))).toEqual(['acme/acme-s2', 'acme/acme-other-3', 'acme/shared-1']);
      expect(names(await list('reason=error'))).toEqual(['globex/globex-s1', 'acme/acme-s1']);
      expect(names(await list('reason=latency'))).toEqual([]);
      expect(names(await list('sessionPrefix=acme-'))).toEqual(['acme/acme-s1', 'acme/acme-s2', 'acme/acme-other-3']);
      expect(names(await list('sessionPrefix=acme-other'))).toEqual(['acme/acme-other-3']);
      expect(names(await list('limit=2'))).toEqual(['globex/globex-s1', 'acme/acme-s1']);
    });

    it('filters by start time: from inclusive, to bounding the start', async () => {
      const ms = (ns: bigint) => String(ns / MS);
      expect(names(await list(`tenant=acme&from=${ms(START.s2)}`))).toEqual(['acme/acme-s1', 'acme/acme-s2']);
      expect(names(await list(`tenant=acme&from=${ms(START.s2 + MS)}`))).toEqual(['acme/acme-s1']);
      expect(names(await list(`tenant=acme&from=${ms(START.other)}&to=${ms(START.s2 - MS)}`))).toEqual(['acme/acme-other-3']);
      const iso = new Date(Number(START.s1 / MS) - 1000).toISOString();
      expect(names(await list(`from=${iso}`))).toEqual(['globex/globex-s1', 'acme/acme-s1']);
    });

    it('shows a tenant key only its own sessions and refuses another tenant', async () => {
      const own = await list('', 'key-globex');
      expect(own.body.mode).toBe('tenant');
      expect(names(own)).toEqual(['globex/globex-s1', 'globex/shared-1']);
      expect(names(await list('kept=true', 'key-acme'))).toEqual(['acme/acme-s1']);
      const other = await list('tenant=globex', 'key-acme');
      expect(other.status).toBe(403);
      expect(other.body.errorCode).toBe('AGT_ERR_TENANT_FORBIDDEN');
      expect((await list('', null)).status).toBe(401);
    });

    it('answers 400 naming the bad parameter', async () => {
      for (const [qs, param] of [
        ['from=yesterday', 'from'],
        ['to=soon', 'to'],
        ['kept=maybe', 'kept'],
        ['limit=0', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=1000000', 'limit'],
        ['tenant=', 'tenant'],
        ['from=2026-12-02&to=2026-12-01', 'to'],
      ] as const) {
        const r = await list(qs);
        expect(r.status, qs).toBe(400);
        expect(r.body.errorCode, qs).toBe('AGT_ERR_BAD_QUERY');
        expect(r.body.message, qs).toMatch(new RegExp(`\\b${param}\\b`));
      }
    });
  });

  describe('paging', () => {
    const page = async (path: string) => get<{ sessions: SessionJson[]; next: string | null }>(path);

    it('walks every session once through the next links, in the order of the whole list', async () => {
      const whole = await page('/api/v1/sessions?limit=100');
      expect(whole.body.next).toBeNull();
      const seen: string[] = [];
      let path: string | null = '/api/v1/sessions?limit=2';
      let pages = 0;
      while (path !== null) {
        const r = await page(path);
        expect(r.status).toBe(200);
        seen.push(...names(r));
        pages += 1;
        path = r.body.next;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(names(whole));
    });

    it('keeps the filters in the next link', async () => {
      const first = await page('/api/v1/sessions?tenant=acme&limit=3');
      expect(names(first)).toEqual(['acme/acme-s1', 'acme/acme-s2', 'acme/acme-other-3']);
      expect(first.body.next).toMatch(/^\/api\/v1\/sessions\?tenant=acme&limit=3&cursor=/);
      const second = await page(first.body.next!);
      expect(names(second)).toEqual(['acme/shared-1']);
      expect(second.body.next).toBeNull();
    });

    it('refuses a cursor it did not issue with 400', async () => {
      for (const cursor of ['garbage', 'eyJ2IjoyfQ', '%%%']) {
        const r = await page(`/api/v1/sessions?cursor=${cursor}`);
        expect(r.status, cursor).toBe(400);
        expect(r.body.errorCode).toBe('AGT_ERR_BAD_QUERY');
        expect(r.body.message).toMatch(/\bcursor\b/);
      }
    });

    it('answers timestamps as ISO-8601 UTC with a Z', async () => {
      const { body } = await get<SessionJson>('/api/v1/sessions/acme-s1');
      const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
      expect(body.startTime).toMatch(iso);
      expect(body.endTime).toMatch(iso);
      expect(body.decidedAt).toMatch(iso);
      expect(body.spans![0]!.timestamp).toMatch(iso);
      expect(Date.parse(body.startTime)).toBe(Number(START.s1 / MS));
    });
  });

  describe('one session', () => {
    it('returns the decision, cost, tokens and the kept spans as a tree', async () => {
      const { status, body: s } = await get<SessionJson>('/api/v1/sessions/acme-s1');
      expect(status).toBe(200);
      expect(s).toMatchObject({ tenantId: 'acme', sessionId: 'acme-s1', kept: true, sampleWeight: 1, inputTokens: 3000, outputTokens: 600, spanCount: 6, errorCount: 1, models: ['gpt-4o-mini'] });
      expect(s.reasons).toContain('error');
      expect(s.trigger).toBe('idle');
      expect(s.toolPath).toEqual(['search']);
      expect(s.traceIds.sort()).toEqual([tree.traceA, tree.traceB].sort());
      // gpt-4o-mini at 0.15 in / 0.6 out per 1M: (1000×0.15 + 500×0.6 + 2000×0.15 + 100×0.6) / 1e6
      // Money as exact decimal text, as the costs API answers it.
      expect(s.costUsd).toBe('0.00081');

      const roots = s.spans!;
      expect(roots.map((r) => r.spanId)).toEqual([tree.root, tree.rootB]);
      const [a, b] = roots as [SpanJson, SpanJson];
      expect(a.parentSpanId).toBe('');
      expect(a.children.map((c) => c.spanId)).toEqual([tree.chat1, tree.tool]);
      const [chat1, tool] = a.children as [SpanJson, SpanJson];
      expect(chat1).toMatchObject({ operation: 'chat', model: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 500, children: [] });
      expect(chat1.costUsd).toBe('0.00045');
      expect(tool).toMatchObject({ operation: 'execute_tool', tool: 'search', statusCode: 'STATUS_CODE_ERROR', parentSpanId: tree.root });
      expect(tool.children.map((c) => [c.spanId, c.name, c.children.length])).toEqual([[tree.http, 'GET /search', 0]]);
      expect(a.costUsd).toBeNull();
      expect(b.children.map((c) => c.spanId)).toEqual([tree.chat2]);
      expect(b.children[0]!.costUsd).toBe('0.00036');
    });

    it('returns a dropped session with its cost and no spans', async () => {
      const { status, body } = await get<SessionJson>('/api/v1/sessions/acme-s2');
      expect(status).toBe(200);
      expect(body).toMatchObject({ kept: false, sampleWeight: 0, spanCount: 2, inputTokens: 1000, spans: [] });
      expect(body.costUsd).toBe('0.00045');
    });

    it('answers 404 for an unknown id and for another tenant\'s session', async () => {
      const unknown = await get('/api/v1/sessions/no-such-session');
      expect(unknown.status).toBe(404);
      expect(unknown.body.errorCode).toBe('AGT_ERR_NOT_FOUND');
      const hidden = await get('/api/v1/sessions/globex-s1', 'key-acme');
      expect(hidden.status).toBe(404);
      expect(hidden.body.message).toContain('"acme"');
      const forbidden = await get('/api/v1/sessions/globex-s1?tenant=globex', 'key-acme');
      expect(forbidden.status).toBe(403);
      expect((await get('/api/v1/sessions/globex-s1', 'key-globex')).status).toBe(200);
      expect((await get('/api/v1/sessions/globex-s1', null)).status).toBe(401);
    });

    it('asks an admin to name the tenant when two tenants use the same session id', async () => {
      const both = await get('/api/v1/sessions/shared-1');
      expect(both.status).toBe(400);
      expect(both.body.message).toMatch(/tenant/);
      expect(both.body.message).toContain('acme');
      expect(both.body.message).toContain('globex');
      expect((await get<SessionJson>('/api/v1/sessions/shared-1?tenant=globex')).body.tenantId).toBe('globex');
      expect((await get<SessionJson>('/api/v1/sessions/shared-1', 'key-acme')).body.tenantId).toBe('acme');
    });

    it('answers 400 naming a bad tenant parameter', async () => {
      const r = await get('/api/v1/sessions/acme-s1?tenant=');
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/\btenant\b/);
      const twice = await get('/api/v1/sessions/acme-s1?tenant=acme&tenant=globex');
      expect(twice.status).toBe(400);
      expect(twice.body.message).toMatch(/\btenant\b/);
    });
  });
});
