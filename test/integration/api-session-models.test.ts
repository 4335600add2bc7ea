/**
 * Issue 25 point 6: the session API listed raw model names (`gpt-4o-2024-08-06`, `gpt-4o`) where costs folds them into
 * the catalog's model; a session's models and each span's model now carry the canonical name beside the raw one,
 * the same name `GET /api/v1/costs?groupBy=model` answers. Real HTTP, embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attributes } from '../../src/model/otlp-values.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const MS = 1_000_000n;
const START_NS = BigInt(Date.now() - 60_000) * MS;
const TRACE = fixtureId(901, 16);

function span(n: number, name: string, parent: string | undefined, attributes: Attributes, error = false): FixtureSpan {
  const start = START_NS + BigInt(n) * 10n * MS;
  return {
    traceId: TRACE,
    spanId: fixtureId(900 + n, 8),
    ...(parent === undefined ? {} : { parentSpanId: parent }),
    name,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 5n * MS,
    attributes: { 'session.id': 'models-1', ...attributes },
    ...(error ? { status: { code: 2 as const, message: 'tool failed' } } : {}),
  };
}

const chat = (n: number, responseModel: string) =>
  span(n, `chat ${responseModel}`, fixtureId(901, 8), {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': responseModel,
    'gen_ai.usage.input_tokens': 100,
    'gen_ai.usage.output_tokens': 10,
  });

interface SpanJson {
  model: string;
  canonicalModel: string;
  operation: string;
  children: SpanJson[];
}

describe('session API model names', () => {
  let t: TestServer;
  let session: { models: string[]; canonicalModels: string[]; spans: SpanJson[] };

  beforeAll(async () => {
    t = await startTestServer({ sampling: { baselineRate: 0 } });
    const spans = [
      span(1, 'invoke_agent helper', undefined, { 'gen_ai.operation.name': 'invoke_agent' }),
      chat(2, 'gpt-4o-2024-08-06'),
      span(3, 'execute_tool search', fixtureId(901, 8), { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' }, true),
      chat(4, 'gpt-4o'),
    ];
    const res = await fetch(`${t.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: buildExportRequest(spans, { 'service.name': 'bot' }) });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await fetch(`${t.httpUrl}/api/v1/sessions/models-1`);
      if (r.status === 200) {
        session = (await r.json()) as typeof session;
        if (session.spans.length > 0) break;
      }
      if (Date.now() > deadline) throw new Error('session not written in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lists the canonical model beside each raw model, in the list and the detail', async () => {
    expect(session.models).toEqual(['gpt-4o-2024-08-06', 'gpt-4o']);
    expect(session.canonicalModels).toEqual(['gpt-4o', 'gpt-4o']);
    const list = (await (await fetch(`${t.httpUrl}/api/v1/sessions?sessionPrefix=models-`)).json()) as { sessions: { models: string[]; canonicalModels: string[] }[] };
    expect(list.sessions[0]).toMatchObject({ models: ['gpt-4o-2024-08-06', 'gpt-4o'], canonicalModels: ['gpt-4o', 'gpt-4o'] });
  });

  it('gives each span its canonical model, and none to spans without a model', () => {
    const flat = (nodes: SpanJson[]): SpanJson[] => nodes.flatMap((n) => [n, ...flat(n.children)]);
    const spans = flat(session.spans);
    expect(spans.filter((s) => s.operation === 'chat').map((s) => [s.model, s.canonicalModel])).toEqual([
      ['gpt-4o-2024-08-06', 'gpt-4o'],
      ['gpt-4o', 'gpt-4o'],
    ]);
    expect(spans.find((s) => s.operation === 'execute_tool')?.canonicalModel).toBe('');
  });

  it('names the model as GET /api/v1/costs?groupBy=model does', async () => {
    let costs: { rows: { model: string; responseModels: string }[] } = { rows: [] };
    // The rollup rows are flushed on the store's own timer: wait for them.
    for (const deadline = Date.now() + 10_000; costs.rows.length === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      costs = (await (await fetch(`${t.httpUrl}/api/v1/costs?groupBy=model&from=2020-01-01`)).json()) as typeof costs;
    }
    expect(costs.rows.map((r) => r.model)).toEqual([...new Set(session.canonicalModels)]);
    expect(costs.rows[0]!.responseModels).toBe('gpt-4o gpt-4o-2024-08-06');
  });
});
