import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectVercelV6, expectVercelV7 } from '../support/client-expect.js';
import { runVercelV6, runVercelV7 } from '../support/client-scenarios.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

// `ai` 7 declares engines node >= 22, but generateText, tools and @ai-sdk/otel run on Node 20.20 as used here.
describe('Vercel AI SDK telemetry exported over OTLP/gRPC', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector();
  });
  afterAll(async () => c.close());

  describe('v6 (ai@6 experimental_telemetry, ai.* spans)', () => {
    it('counts the doGenerate call and keeps ai.generateText as an uncounted aggregate', async () => {
      const ids = { sessionId: 'sess-v6', userId: 'user-v6' };
      await runVercelV6(new OTLPTraceExporter({ url: c.grpcUrl }), ids);
      await c.sink.waitForSpans(2);
      expectVercelV6(c.sink.spans, ids);
    });
  });

  describe('v7 (ai@7 + @ai-sdk/otel, GenAI semconv spans)', () => {
    it('joins chat spans to the invoke_agent session, prices each call once and names the tool', async () => {
      const ids = { sessionId: 'sess-v7', userId: 'user-v7' };
      const before = c.sink.spans.length;
      await runVercelV7(new OTLPTraceExporter({ url: c.grpcUrl }), ids);
      await c.sink.waitForSpans(before + 6);
      expectVercelV7(c.sink.spans, ids);
    });
  });
});
