import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedSpan } from '../../src/model/span.js';
import { countSpans, rebaseOtlpJsonTimes, type OtlpJsonRequest } from '../support/client-capture.js';
import { expectLangfuse, expectOpenInferenceChat, expectOtelSdkAgentTurn, expectTraceloop, expectVercelV6, expectVercelV7 } from '../support/client-expect.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

/**
 * Replays the OTLP/JSON each real client library sent (captured by test/fixtures/clients/capture.ts) into
 * the HTTP receiver, so the conventions are pinned to real payloads of the pinned versions even when a
 * later library version changes what it emits. Times are shifted to now: the receiver refuses old spans.
 */
const FIXTURES: { client: string; path: string; spans: number; check: (spans: NormalizedSpan[], ids: { sessionId: string; userId: string }) => void }[] = [
  { client: 'otel-sdk', path: '/v1/traces', spans: 3, check: expectOtelSdkAgentTurn },
  { client: 'openinference', path: '/v1/traces', spans: 1, check: expectOpenInferenceChat },
  { client: 'vercel-v6', path: '/v1/traces', spans: 2, check: expectVercelV6 },
  { client: 'vercel-v7', path: '/v1/traces', spans: 6, check: expectVercelV7 },
  { client: 'traceloop', path: '/v1/traces', spans: 5, check: expectTraceloop },
  { client: 'langfuse', path: '/api/public/otel/v1/traces', spans: 2, check: expectLangfuse },
];

function loadFixture(client: string): OtlpJsonRequest {
  return JSON.parse(readFileSync(new URL(`../fixtures/clients/${client}.json`, import.meta.url), 'utf8')) as OtlpJsonRequest;
}

describe('captured client payloads (test/fixtures/clients)', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector();
  });
  afterAll(async () => c.close());

  describe('POST OTLP/JSON to the HTTP receiver', () => {
    for (const f of FIXTURES) {
      it(`normalizes and prices the ${f.client} payload field by field`, async () => {
        const doc = rebaseOtlpJsonTimes(loadFixture(f.client), Date.now());
        expect(countSpans(doc)).toBe(f.spans);
        const before = c.sink.spans.length;
        const res = await fetch(`${c.httpUrl}${f.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
        expect(res.status).toBe(200);
        const answer = (await res.json()) as { partialSuccess?: { rejectedSpans?: string | number } };
        expect(Number(answer.partialSuccess?.rejectedSpans ?? 0)).toBe(0);
        await c.sink.waitForSpans(before + f.spans);
        f.check(c.sink.spans.slice(before), { sessionId: `sess-${f.client}`, userId: `user-${f.client}` });
      });
    }
  });
});

describe('rebaseOtlpJsonTimes', () => {
  it('moves the latest span end to now and keeps every duration and event offset', () => {
    const doc = loadFixture('otel-sdk');
    const spans = doc.resourceSpans.flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
    const nowMs = 1_900_000_000_000;
    const moved = rebaseOtlpJsonTimes(doc, nowMs).resourceSpans.flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
    const ends = moved.map((s) => BigInt(s.endTimeUnixNano!));
    expect(ends.reduce((a, b) => (b > a ? b : a))).toBe(BigInt(nowMs) * 1_000_000n);
    for (let i = 0; i < spans.length; i++) {
      const shift = BigInt(moved[i]!.startTimeUnixNano!) - BigInt(spans[i]!.startTimeUnixNano!);
      expect(BigInt(moved[i]!.endTimeUnixNano!) - BigInt(spans[i]!.endTimeUnixNano!)).toBe(shift);
      for (let e = 0; e < (spans[i]!.events ?? []).length; e++) {
        expect(BigInt(moved[i]!.events![e]!.timeUnixNano!) - BigInt(spans[i]!.events![e]!.timeUnixNano!)).toBe(shift);
      }
    }
    expect(spans.some((s) => (s.events ?? []).length > 0)).toBe(true);
  });
});
