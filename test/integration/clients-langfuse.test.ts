import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectLangfuse } from '../support/client-expect.js';
import { runLangfuse } from '../support/client-scenarios.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

describe('@langfuse/otel LangfuseSpanProcessor', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector();
  });
  afterAll(async () => c.close());

  describe('default exporter pointed at the collector (OTLP/JSON on /api/public/otel/v1/traces)', () => {
    it('converts exclusive usage_details to inclusive input, prices from the catalog, and keeps a reported cost_details total', async () => {
      const ids = { sessionId: 'sess-lf', userId: 'user-lf' };
      await runLangfuse({ ...ids, baseUrl: c.httpUrl });
      await c.sink.waitForSpans(2);
      expectLangfuse(c.sink.spans, ids);
    });
  });
});
