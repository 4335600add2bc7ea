import { afterEach, describe, it } from 'vitest';
import { hashApiKey } from '../../src/receive/auth.js';
import { expectLangfuse } from '../support/client-expect.js';
import { runLangfuse } from '../support/client-scenarios.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

describe('@langfuse/otel LangfuseSpanProcessor', () => {
  let c: TestCollector | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  describe('default exporter pointed at the collector (OTLP/JSON on /api/public/otel/v1/traces)', () => {
    it('converts exclusive usage_details to inclusive input, prices from the catalog, and keeps a reported cost_details total', async () => {
      c = await startTestCollector();
      const ids = { sessionId: 'sess-lf', userId: 'user-lf' };
      await runLangfuse({ ...ids, baseUrl: c.httpUrl });
      await c.sink.waitForSpans(2);
      expectLangfuse(c.sink.spans, ids);
    });

    it('writes the key tenant when the agenttail key is passed as an x-api-key additional header', async () => {
      c = await startTestCollector({ config: { receive: { keys: [{ sha256: hashApiKey('lf-key'), tenant: 't-lf' }] } } });
      const ids = { sessionId: 'sess-lf-key', userId: 'user-lf' };
      await runLangfuse({ ...ids, baseUrl: c.httpUrl, additionalHeaders: { 'x-api-key': 'lf-key' } });
      await c.sink.waitForSpans(2);
      expectLangfuse(c.sink.spans, { ...ids, tenantId: 't-lf' });
    });
  });
});
