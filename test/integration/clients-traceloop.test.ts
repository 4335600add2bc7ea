import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { describe, expect, it } from 'vitest';
import { expectTraceloop } from '../support/client-expect.js';
import { runTraceloop } from '../support/client-scenarios.js';
import { collectorWithFakeOpenAI } from '../support/client-rig.js';

describe('OpenLLMetry (@traceloop/node-server-sdk)', () => {
  const rig = collectorWithFakeOpenAI();

  describe('withWorkflow/withAgent/withTool + instrumented openai, exported over OTLP/HTTP protobuf', () => {
    it('arrives with the association session on every span, the tree, only the non-streamed chat call priced', async () => {
      const ids = { sessionId: 'sess-tl', userId: 'user-tl', baseURL: rig.fake.baseURL };
      await runTraceloop(new OTLPTraceExporter({ url: `${rig.c.httpUrl}/v1/traces` }), ids);
      await rig.c.sink.waitForSpans(5);
      expect(rig.fake.requests).toBe(2);
      expectTraceloop(rig.c.sink.spans, ids);
    });
  });
});
