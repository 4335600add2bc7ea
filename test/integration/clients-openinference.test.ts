import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOpenInferenceChat, expectOpenInferenceStreamWithoutUsage } from '../support/client-expect.js';
import { runOpenInferenceChat } from '../support/client-scenarios.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

describe('openai client instrumented by @arizeai/openinference-instrumentation-openai', () => {
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

  describe('chat.completions.create exported over OTLP/HTTP protobuf', () => {
    it('arrives with session, user, model, inclusive input with cache and reasoning parts, and catalog cost', async () => {
      const ids = { sessionId: 'sess-oi', userId: 'user-7', baseURL: fake.baseURL };
      const before = c.sink.spans.length;
      await runOpenInferenceChat(new OTLPTraceExporter({ url: `${c.httpUrl}/v1/traces` }), ids);
      await c.sink.waitForSpans(before + 1);
      expect(fake.bodies.at(-1)).toMatchObject({ model: 'gpt-4o-mini' });
      expectOpenInferenceChat(c.sink.spans, ids);
    });

    it('marks every usage field missing and leaves cost unknown when the answer is streamed, usage chunk or not', async () => {
      for (const stream of ['with-usage', 'no-usage'] as const) {
        const ids = { sessionId: `sess-oi-${stream}`, userId: 'user-7', baseURL: fake.baseURL, stream };
        const before = c.sink.spans.length;
        await runOpenInferenceChat(new OTLPTraceExporter({ url: `${c.httpUrl}/v1/traces` }), ids);
        await c.sink.waitForSpans(before + 1);
        expect(fake.bodies.at(-1)).toMatchObject({ stream: true, ...(stream === 'with-usage' ? { stream_options: { include_usage: true } } : {}) });
        expectOpenInferenceStreamWithoutUsage(c.sink.spans, ids);
      }
    });
  });
});
