import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

describe('OpenLLMetry (@traceloop/node-server-sdk) exporting over OTLP/HTTP protobuf', () => {
  let c: TestCollector;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    c = await startTestCollector();
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await c.close();
    await fake.close();
  });

  it('arrives with the association session, workflow/agent/tool spans and the chat call priced', async () => {
    traceloop.initialize({
      appName: 'tl-app',
      exporter: new OTLPTraceExporter({ url: `${c.httpUrl}/v1/traces` }) as never,
      disableBatch: true,
      instrumentModules: { openAI: OpenAI as never },
      silenceInitializationMessage: true,
      traceContent: false,
      traceloopSyncEnabled: false,
      baseUrl: 'http://127.0.0.1:9', // never contacted: sync is off and the exporter is ours
    });
    const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseURL });
    await traceloop.withAssociationProperties({ session_id: 'sess-tl', user_id: 'user-tl' }, async () =>
      traceloop.withWorkflow({ name: 'support_flow' }, async () =>
        traceloop.withAgent({ name: 'support_agent' }, async () => {
          await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
          await traceloop.withTool({ name: 'get_weather' }, async () => 'sunny');
        }),
      ),
    );
    await traceloop.forceFlush();
    const spans = await c.sink.waitForSpans(4);
    const chat = spans.find((s) => s.usageRole === 'call')!;
    expect(chat).toBeDefined();
    expect(chat.sessionId).toBe('sess-tl');
    expect(chat.userId).toBe('user-tl');
    expect(chat.genai.provider).toMatch(/openai/i);
    expect(chat.genai.requestModel).toBe('gpt-4o-mini');
    expect(chat.usage).toMatchObject({ inputTokens: 120, outputTokens: 40 });
    expect(chat.cost.source).toBe('catalog');
    expect(chat.cost.costUsd).toBeGreaterThan(0);
    expect(spans.some((s) => s.genai.toolName === 'get_weather')).toBe(true);
    expect(spans.some((s) => s.genai.agentName === 'support_agent')).toBe(true);
    // Only the model call counts usage: wrappers never do.
    expect(spans.filter((s) => s.usageRole === 'call')).toHaveLength(1);
  });
});
