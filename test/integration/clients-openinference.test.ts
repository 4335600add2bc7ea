import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { describe, expect, it } from 'vitest';
import { expectOpenInferenceChat, expectOpenInferenceStreamWithoutUsage } from '../support/client-expect.js';
import { runOpenInferenceChat } from '../support/client-scenarios.js';
import { collectorWithFakeOpenAI } from '../support/client-rig.js';

describe('openai client instrumented by @arizeai/openinference-instrumentation-openai', () => {
  const rig = collectorWithFakeOpenAI();

  describe('chat.completions.create exported over OTLP/HTTP protobuf', () => {
    it('arrives with session, user, model, inclusive input with cache and reasoning parts, and catalog cost', async () => {
      const ids = { sessionId: 'sess-oi', userId: 'user-7', baseURL: rig.fake.baseURL };
      const before = rig.c.sink.spans.length;
      await runOpenInferenceChat(new OTLPTraceExporter({ url: `${rig.c.httpUrl}/v1/traces` }), ids);
      await rig.c.sink.waitForSpans(before + 1);
      expect(rig.fake.bodies.at(-1)).toMatchObject({ model: 'gpt-4o-mini' });
      expectOpenInferenceChat(rig.c.sink.spans, ids);
    });

    it('marks every usage field missing and leaves cost unknown when the answer is streamed, usage chunk or not', async () => {
      for (const stream of ['with-usage', 'no-usage'] as const) {
        const ids = { sessionId: `sess-oi-${stream}`, userId: 'user-7', baseURL: rig.fake.baseURL, stream };
        const before = rig.c.sink.spans.length;
        await runOpenInferenceChat(new OTLPTraceExporter({ url: `${rig.c.httpUrl}/v1/traces` }), ids);
        await rig.c.sink.waitForSpans(before + 1);
        expect(rig.fake.bodies.at(-1)).toMatchObject({ stream: true, ...(stream === 'with-usage' ? { stream_options: { include_usage: true } } : {}) });
        expectOpenInferenceStreamWithoutUsage(rig.c.sink.spans, ids);
      }
    });
  });
});
