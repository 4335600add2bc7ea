/**
 * Trace requests covering what the collector meets: the traffic of every supported client (captured fixtures, one
 * request per span), the convention fixtures, the simulator's sessions (every detector's pattern), the e2e bench's
 * requests, and what the captured clients did not send (exception events with stack traces, eval and content events,
 * a link with attributes, a refused provider call). Shared by the attribute filter's and the span transfer's tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { buildPool } from '../../bench/e2e/requests.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { DEFAULT_DECODE_LIMITS, type OtlpSpan } from '../../src/otlp/types.js';
import { encodeTraces } from '../../src/simulate/encode.js';
import { generateScenario } from '../../src/simulate/scenario.js';
import { loadFixture } from '../fixtures/conventions/span.js';
import { buildExportRequest, type FixtureSpan } from './otlp-fixtures.js';

function asFixture(s: OtlpSpan): FixtureSpan {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: s.attributes,
    events: s.events.map((e) => ({ timeUnixNano: s.startTimeUnixNano, name: e.name, attributes: e.attributes })),
    links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: l.attributes })),
    status: { code: s.status.code, message: s.status.message },
  };
}

/** Each span in a protobuf request of its own, with its resource and scope. */
export function requestsOf(spans: OtlpSpan[], nowMs: number): Uint8Array[] {
  return spans.map((s) => buildExportRequest([asFixture(s)], s.resource.attributes, { scopeName: s.scope.name, scopeVersion: s.scope.version, nowMs }));
}

/** The corpus's protobuf requests, each named by where it came from; span times fall just before `nowMs`. */
export function corpus(nowMs: number): { name: string; bytes: Uint8Array }[] {
  const limits = DEFAULT_DECODE_LIMITS;
  const out: { name: string; bytes: Uint8Array }[] = [];
  const convDir = new URL('../fixtures/conventions/', import.meta.url);
  for (const f of readdirSync(convDir).filter((x) => x.endsWith('.json'))) {
    const spans = loadFixture(f).map((s) => ({ ...s, startTimeUnixNano: BigInt(nowMs - 5_000) * 1_000_000n, endTimeUnixNano: BigInt(nowMs - 4_000) * 1_000_000n }));
    for (const bytes of requestsOf(spans, nowMs)) out.push({ name: `conventions/${f}`, bytes });
  }
  const clientDir = new URL('../fixtures/clients/', import.meta.url);
  for (const f of readdirSync(clientDir).filter((x) => x.endsWith('.json'))) {
    const body = readFileSync(new URL(f, clientDir));
    // Captured at another time: their own clock, so the time window takes them however old the capture is.
    const d = decodeExportRequestJson(body, { ...limits, maxPastMs: Number.MAX_SAFE_INTEGER / 2, maxFutureMs: Number.MAX_SAFE_INTEGER / 2 }, nowMs);
    const spans = d.spans.map((s) => ({ ...s, startTimeUnixNano: BigInt(nowMs - 5_000) * 1_000_000n, endTimeUnixNano: BigInt(nowMs - 4_000) * 1_000_000n }));
    for (const bytes of requestsOf(spans, nowMs)) out.push({ name: `clients/${f}`, bytes });
  }
  const sessions = generateScenario({ sessions: 60, seed: 7, runId: 'filter', nowMs, shares: { error: 0.1, rarePath: 0.1, costOutlier: 0.1, lowEval: 0.1, lateLowEval: 0.05, detector: 0.04, nearMiss: 0.05 } });
  for (const s of sessions) out.push({ name: `simulate/${s.sessionId}`, bytes: encodeTraces(s.traces, { serviceName: 'sim' }) });
  for (const p of buildPool({ pairs: 2, spansPerRequest: 100, seed: 3 })) out.push({ name: 'e2e/a', bytes: p.a.bytes }, { name: 'e2e/b', bytes: p.b.bytes });
  // What the captured clients did not send: exception events with stack traces, eval and content events, a link
  // with attributes (an evaluator span), a refused provider call.
  const t = BigInt(nowMs - 3_000) * 1_000_000n;
  const events: FixtureSpan[] = [
    {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: 'chat gpt-4o',
      kind: 3,
      startTimeUnixNano: t,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'http.response.status_code': 429, 'retry_after': 2 },
      events: [
        { name: 'exception', attributes: { 'exception.type': 'RateLimitError', 'exception.message': 'slow down', 'exception.stacktrace': 'at call (client.js:1)\n'.repeat(40) } },
        { name: 'gen_ai.content.prompt', attributes: { 'gen_ai.prompt': 'hello '.repeat(100) } },
      ],
      status: { code: 2, message: 'rate limited' },
    },
    {
      traceId: 'a'.repeat(32),
      spanId: 'c'.repeat(16),
      name: 'evaluation relevance',
      startTimeUnixNano: t,
      attributes: { 'gen_ai.operation.name': 'evaluation' },
      events: [{ name: 'gen_ai.evaluation.result', attributes: { 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': 0.2, 'app.evaluator.notes': 'n'.repeat(300) } }],
      links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), attributes: { 'app.link.reason': 'evaluates' } }],
    },
  ];
  out.push({ name: 'events', bytes: buildExportRequest(events, { 'service.name': 'events-app' }, { nowMs }) });
  return out;
}
