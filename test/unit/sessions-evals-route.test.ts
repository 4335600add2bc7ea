import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { evalRoutes, type EvalCredentials } from '../../src/api/evals-route.js';
import type { EvalResult, NormalizedSpan } from '../../src/model/span.js';
import { AgtError } from '../../src/model/errors.js';
import { failed, ok, retryable, type Outcome } from '../../src/model/outcome.js';
import type { SpanSink } from '../../src/model/sinks.js';

class RecordingSink implements SpanSink {
  readonly got: { tenantId: string; evals: EvalResult[] }[] = [];
  answer: Outcome<void> = ok();
  accept(_spans: NormalizedSpan[]): Promise<Outcome<void>> {
    return Promise.resolve(ok());
  }
  acceptEvals(tenantId: string, evals: EvalResult[]): Promise<Outcome<void>> {
    this.got.push({ tenantId, evals });
    return Promise.resolve(this.answer);
  }
  admit(): Outcome<void> {
    return ok();
  }
}

const apps: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function build() {
  const sink = new RecordingSink();
  const authenticate = (c: EvalCredentials): Outcome<{ tenantId: string }> =>
    c.apiKey === 'k1' || c.authorization === 'Bearer k1' ? ok({ tenantId: 'acme' }) : failed(new AgtError('AGT_ERR_UNAUTHENTICATED', 'unknown key'));
  const app = Fastify();
  apps.push(app);
  await app.register(evalRoutes({ sink, authenticate, now: () => 1_700_000_000_000 }));
  await app.ready();
  const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': 'k1' }) =>
    app.inject({ method: 'POST', url: '/v1/evals', payload: body as object, headers: { 'content-type': 'application/json', ...headers } });
  return { sink, post };
}

describe('evalRoutes', () => {
  describe('POST /v1/evals', () => {
    it('accepts a list of evals for the authenticated tenant', async () => {
      const { sink, post } = await build();
      const res = await post({ evals: [{ sessionId: 's1', name: 'faithfulness', score: 0.4 }, { traceId: 'AB'.repeat(16), spanId: 'cd'.repeat(8), name: 'tone', label: 'rude', explanation: 'why' }] });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ accepted: 2 });
      expect(sink.got[0]!.tenantId).toBe('acme');
      const [a, b] = sink.got[0]!.evals;
      expect(a).toMatchObject({ name: 'faithfulness', score: 0.4, label: null, source: 'api', target: { sessionId: 's1', traceId: null, spanId: null }, timeUnixNano: 1_700_000_000_000_000_000n });
      expect(b).toMatchObject({ score: null, label: 'rude', explanation: 'why', target: { sessionId: null, traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) } });
    });

    it('accepts a single eval object with a bearer key', async () => {
      const { sink, post } = await build();
      const res = await post({ sessionId: 's1', name: 'x', score: 1 }, { authorization: 'Bearer k1' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ accepted: 1 });
      expect(sink.got).toHaveLength(1);
    });

    it('answers 401 without a valid key and takes nothing', async () => {
      const { sink, post } = await build();
      const res = await post({ sessionId: 's1', name: 'x', score: 1 }, { 'x-api-key': 'nope' });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AGT_ERR_UNAUTHENTICATED');
      expect(sink.got).toHaveLength(0);
    });

    it.each([
      [{ evals: [{ sessionId: 's', name: 'x', score: 'high' }] }, 'evals[0].score'],
      [{ evals: [{ sessionId: 's', score: 1 }] }, 'evals[0].name'],
      [{ evals: [{ name: 'x', score: 1 }] }, 'evals[0].sessionId'],
      [{ evals: [{ spanId: 'ab'.repeat(8), name: 'x', score: 1 }] }, 'evals[0].traceId'],
      [{ evals: [{ traceId: 'zz', name: 'x', score: 1 }] }, 'evals[0].traceId'],
      [{ evals: [{ sessionId: 's', name: 'x' }] }, 'evals[0].score'],
      [{ evals: [] }, 'evals'],
    ])('answers 400 naming the bad field for %j', async (body, field) => {
      const { sink, post } = await build();
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('AGT_ERR_INVALID_EVAL');
      expect(res.json().message).toContain(field);
      expect(sink.got).toHaveLength(0);
    });

    it('answers 503 with Retry-After when the sink refuses retryably', async () => {
      const { sink, post } = await build();
      sink.answer = retryable(new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'full'), 2_500);
      const res = await post({ sessionId: 's1', name: 'x', score: 1 });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
    });
  });
});
