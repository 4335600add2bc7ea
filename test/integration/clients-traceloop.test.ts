import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTraceloop } from '../support/client-expect.js';
import { runTraceloop } from '../support/client-scenarios.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

describe('OpenLLMetry (@traceloop/node-server-sdk)', () => {
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

  describe('withWorkflow/withAgent/withTool + instrumented openai, exported over OTLP/HTTP protobuf', () => {
    it('arrives with the association session on every span, the tree, only the non-streamed chat call priced', async () => {
      const ids = { sessionId: 'sess-tl', userId: 'user-tl', baseURL: fake.baseURL };
      await runTraceloop(new OTLPTraceExporter({ url: `${c.httpUrl}/v1/traces` }), ids);
      await c.sink.waitForSpans(5);
      expect(fake.requests).toBe(2);
      expectTraceloop(c.sink.spans, ids);
    });
  });
});
