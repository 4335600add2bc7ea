// Finance rows over real sockets: the real OTel SDK and the official OpenAI instrumentation export OTLP/HTTP into the
// collector, the embedded store holds the rollups, and the costs API / `agenttail costs` read them back (issue 19).
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCostsCommand } from '../../src/commands/costs.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface CostRowJson {
  model?: string;
  responseModel?: string;
  responseModels?: string;
  calls: number;
  sessions: number;
  costUsd: string;
  usageIncompleteCalls: number;
  costOverstatedUpToUsd: string;
}
interface CostsJson {
  from: string;
  to: string;
  sessionsMeaning: string;
  usageIncomplete: { calls: number; costMayBeOverstatedByUpToUsd: string; note: string };
  rows: CostRowJson[];
}

/** 1,500 prompt tokens of which 1,024 were read from cache, 100 completion tokens: what the provider answered. */
const CACHED_USAGE = { prompt_tokens: 1500, completion_tokens: 100, total_tokens: 1600, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 0 } };

function providerFor(url: string, resource: Record<string, string>): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'finance-app', ...resource }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
}

/** One chat call as a hand-instrumented GenAI span (the OTel SDK's own tracer). */
function chatSpan(provider: BasicTracerProvider, sessionId: string, p: { request: string; response: string; providerName: string; startMs: number }): void {
  const span = provider.getTracer('finance-test').startSpan(`chat ${p.request}`, {
    startTime: p.startMs,
    attributes: {
      'gen_ai.conversation.id': sessionId,
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': p.providerName,
      'gen_ai.request.model': p.request,
      'gen_ai.response.model': p.response,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
    },
  });
  span.end(p.startMs + 50);
}

describe('finance rows (costs API and CLI over the embedded store)', () => {
  let t: TestServer;
  let fake: FakeOpenAI;

  async function costs(qs: string): Promise<CostsJson> {
    const res = await fetch(`${t.httpUrl}/api/v1/costs?${qs}`);
    expect(res.status).toBe(200);
    return (await res.json()) as CostsJson;
  }

  beforeAll(async () => {
    t = await startTestServer();
    fake = await startFakeOpenAI('gpt-4o-mini-2024-07-18', CACHED_USAGE);
    const now = Date.now();
    // Two sessions, four names of two models: "mixed" calls gpt-4o-mini under its dated and plain names, then the
    // dated Claude name; "claude" calls only the plain Claude name.
    const manual = providerFor(t.httpUrl, {});
    chatSpan(manual, 'mixed', { request: 'gpt-4o-mini', response: 'gpt-4o-mini-2024-07-18', providerName: 'openai', startMs: now - 3000 });
    chatSpan(manual, 'mixed', { request: 'gpt-4o-mini', response: 'gpt-4o-mini', providerName: 'openai', startMs: now - 2900 });
    chatSpan(manual, 'mixed', { request: 'claude-sonnet-4-5', response: 'claude-sonnet-4-5-20250929', providerName: 'anthropic', startMs: now - 2800 });
    chatSpan(manual, 'claude', { request: 'claude-sonnet-4-5', response: 'claude-sonnet-4-5', providerName: 'anthropic', startMs: now - 2700 });
    await manual.shutdown();

    // The official OpenAI instrumentation: the server answers 1,024 cached tokens, the span carries input/output only.
    const instrumented = providerFor(t.httpUrl, { 'session.id': 'otel-openai' });
    const instrumentation = new OpenAIInstrumentation();
    instrumentation.setTracerProvider(instrumented);
    // Under ESM the module hook does not see `import OpenAI`: apply the instrumentation's own patch to the class.
    const [definition] = (instrumentation as unknown as { getModuleDefinitions(): { patch?: (m: unknown) => unknown }[] }).getModuleDefinitions();
    definition!.patch!({ OpenAI });
    try {
      const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseURL });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] });
    } finally {
      instrumentation.disable();
      await instrumented.shutdown();
    }

    const deadline = Date.now() + 15_000;
    for (;;) {
      const body = await costs('groupBy=tenant');
      if (body.rows[0]?.calls === 6 && body.rows[0].sessions === 3) break;
      if (Date.now() > deadline) throw new Error(`rollups not written in time: ${JSON.stringify(body.rows)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(async () => {
    await fake?.close();
    await t?.close();
  });

  it('groups dated and plain names under the canonical model and counts every session under every model it called', async () => {
    const body = await costs('groupBy=model');
    const byModel = Object.fromEntries(body.rows.map((r) => [r.model, r]));
    expect(Object.keys(byModel).sort()).toEqual(['claude-sonnet-4-5', 'gpt-4o-mini']);
    expect(byModel['gpt-4o-mini']).toMatchObject({ calls: 4, sessions: 2, responseModels: 'gpt-4o-mini gpt-4o-mini-2024-07-18' });
    // "mixed" reached Claude only through the dated name: it still counts there (was 0 under a row of its own).
    expect(byModel['claude-sonnet-4-5']).toMatchObject({ calls: 2, sessions: 2, responseModels: 'claude-sonnet-4-5 claude-sonnet-4-5-20250929' });
    expect(body.sessionsMeaning).toContain('once under each model');
  });

  it('keeps the reported name as its own grouping', async () => {
    const body = await costs('groupBy=model,responseModel');
    const names = body.rows.map((r) => `${r.model}/${r.responseModel}`).sort();
    expect(names).toEqual(['claude-sonnet-4-5/claude-sonnet-4-5', 'claude-sonnet-4-5/claude-sonnet-4-5-20250929', 'gpt-4o-mini/gpt-4o-mini', 'gpt-4o-mini/gpt-4o-mini-2024-07-18']);
    const dated = body.rows.find((r) => r.responseModel === 'gpt-4o-mini-2024-07-18')!;
    // Two instrumented calls and the first "mixed" call, in two sessions.
    expect(dated).toMatchObject({ calls: 3, sessions: 2 });
  });

  it('counts a session once per session when the grouping does not split by model', async () => {
    const body = await costs('groupBy=tenant');
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]!.sessions).toBe(3);
    expect(body.sessionsMeaning).toContain('add up to the number of sessions');
  });

  it('flags the calls without a cache breakdown and states how much the cost may be overstated', async () => {
    const body = await costs('groupBy=model,responseModel');
    const dated = body.rows.find((r) => r.responseModel === 'gpt-4o-mini-2024-07-18')!;
    // Priced as uncached: 1,500 × 0.15 + 100 × 0.6 = 285 µ$ per call, where the provider billed
    // 476 × 0.15 + 1,024 × 0.075 + 60 = 208.2 µ$ (+36.9 %). Bound: all 1,500 read from cache, 1,500 × 0.075 = 112.5 µ$.
    expect(dated.usageIncompleteCalls).toBe(2);
    expect(dated.costOverstatedUpToUsd).toBe('0.000225');
    const instrumentedUsd = Number(dated.costUsd) - 0.00021; // the "mixed" call: 1,000 × 0.15 + 100 × 0.6 = 210 µ$, fully reported
    expect(Math.abs(instrumentedUsd - 2 * 0.000285)).toBeLessThan(1e-12);
    expect(2 * 0.000285 - 2 * 0.0002082).toBeLessThanOrEqual(Number(dated.costOverstatedUpToUsd));
    // Fully reported calls are not flagged.
    expect(body.rows.filter((r) => r.responseModel !== 'gpt-4o-mini-2024-07-18').every((r) => r.usageIncompleteCalls === 0 && Number(r.costOverstatedUpToUsd) === 0)).toBe(true);
    expect(body.usageIncomplete).toMatchObject({ calls: 2, costMayBeOverstatedByUpToUsd: '0.000225000000' });
    expect(body.usageIncomplete.note).toContain('cost may be overstated by up to 0.000225000000 USD');
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^agenttail_pricing_usage_incomplete_total\{kind="cache_read"\} 2$/m);
  });

  it('counts the flag on the session row', async () => {
    const res = await fetch(`${t.httpUrl}/api/v1/sessions/otel-openai`);
    const s = (await res.json()) as { usageIncompleteCalls: number; costOverstatedUpToUsd: string; costUsd: string; spans: { usageIncomplete: string; children: unknown[] }[] };
    expect(s.usageIncompleteCalls).toBe(2);
    expect(s.costOverstatedUpToUsd).toBe('0.000225');
    expect(s.costUsd).toBe('0.00057');
  });

  it('defaults to this month so far in UTC, in the API and the CLI', async () => {
    const body = await costs('groupBy=tenant');
    const now = new Date();
    expect(body.from).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString());
    expect(body.to.endsWith('Z')).toBe(true);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await runCostsCommand({ groupBy: 'model', format: 'json', url: t.httpUrl, config: t.config }, out);
    const cli = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CostsJson;
    expect(cli.from).toBe(body.from);
    expect(cli.rows.map((r) => r.model).sort()).toEqual(['claude-sonnet-4-5', 'gpt-4o-mini']);
    expect(typeof cli.rows[0]!.costUsd).toBe('string');
    expect(cli.usageIncomplete.calls).toBe(2);
  });

  it('refuses an end before the default start with 400 naming both times', async () => {
    const res = await fetch(`${t.httpUrl}/api/v1/costs?to=2020-01-01T00:00:00Z`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('AGT_ERR_BAD_QUERY');
    expect(body.message).toContain('to (2020-01-01T00:00:00.000Z) must be after from');
    expect(body.message).toContain('this month so far, UTC');
  });
});
