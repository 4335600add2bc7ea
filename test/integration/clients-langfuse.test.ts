import { LangfuseSpanProcessor } from '@langfuse/otel';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pricer } from '../../src/pricing/pricer.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

describe('@langfuse/otel span processor pointed at the collector', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector();
  });
  afterAll(async () => c.close());

  it('converts Langfuse usage_details (input exclusive of cache) to inclusive input and keeps the reported cost', async () => {
    const processor = new LangfuseSpanProcessor({ baseUrl: c.httpUrl, publicKey: 'pk-test', secretKey: 'sk-test', exportMode: 'immediate' });
    const tp = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'lf-app' }), spanProcessors: [processor] });
    const tracer = tp.getTracer('langfuse-sdk');
    const span = tracer.startSpan('generation', {
      attributes: {
        'langfuse.observation.type': 'generation',
        'langfuse.session.id': 'sess-lf',
        'langfuse.user.id': 'user-lf',
        'langfuse.observation.model.name': 'gpt-4o-mini',
        'langfuse.observation.usage_details': JSON.stringify({ input: 20, input_cached_tokens: 100, output: 40, total: 160 }),
      },
    });
    span.end();
    await tp.forceFlush();
    await tp.shutdown();
    const [s] = await c.sink.waitForSpans(1);
    expect(s!.sessionId).toBe('sess-lf');
    expect(s!.userId).toBe('user-lf');
    expect(s!.usageRole).toBe('call');
    expect(s!.usage).toMatchObject({ inputTokens: 120, cacheReadTokens: 100, outputTokens: 40 });
    const expected = new Pricer().priceUsage({ model: 'gpt-4o-mini', provider: null, usage: s!.usage!, atUnixMs: Date.now() }).costUsd!;
    expect(Math.abs(s!.cost.costUsd! - expected)).toBeLessThan(1e-12);
  });
});
