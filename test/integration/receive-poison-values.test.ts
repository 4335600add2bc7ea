/**
 * Issue 12.1: one unstorable value (negative or fractional tokens, 2^63-1 or 1e300 tokens, an event at 2^63 ns, a cost
 * overflowing the Decimal) sent by tenant "globex" beside a full session of tenant "acme" used to be accepted, then
 * broke the insert of the whole batch: acme lost spans, session rows and usage_hourly rollups. Now the poison span
 * is refused through partial_success naming the attribute and value, and nothing of acme's is lost.
 */
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attributes } from '../../src/model/otlp-values.js';
import { rawBytes, TRACE_EXPORT_PATH } from '../../src/otlp/trace-service.js';
import { buildExportRequest, buildExportRequestJson, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';
import { otlpRoot } from '../support/otlp-protobufjs.js';
import { startTestServer, TENANT_KEYS, type TestServer } from '../support/server.js';

const ResponseType = otlpRoot.lookupType('ExportTraceServiceResponse');
type Partial = { rejectedSpans: number; errorMessage: string };
function partialSuccess(body: Uint8Array): Partial {
  const r = ResponseType.toObject(ResponseType.decode(body), { longs: Number, defaults: true }) as { partialSuccess?: Partial };
  return r.partialSuccess ?? { rejectedSpans: 0, errorMessage: '' };
}

const MS = 1_000_000n;
const CHAT = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };

interface Poison {
  kind: string;
  span: (s: FixtureSpan) => FixtureSpan;
  message: RegExp;
}
const withAttrs = (a: Attributes) => (s: FixtureSpan): FixtureSpan => ({ ...s, attributes: { ...s.attributes, ...a } });
const POISONS: Poison[] = [
  { kind: 'negative tokens', span: withAttrs({ 'gen_ai.usage.input_tokens': -5 }), message: /gen_ai\.usage\.input_tokens = -5 is not a token count/ },
  { kind: 'fractional tokens', span: withAttrs({ 'gen_ai.usage.input_tokens': 1.5 }), message: /gen_ai\.usage\.input_tokens = 1\.5 is not a token count/ },
  { kind: '2^63-1 tokens', span: withAttrs({ 'gen_ai.usage.output_tokens': '9223372036854775807' }), message: /output_tokens = "9223372036854775807" is implausible/ },
  { kind: '1e300 tokens', span: (s) => ({ ...s, doubleAttributes: { 'gen_ai.usage.input_tokens': 1e300 } }), message: /input_tokens = 1e\+300 is implausible/ },
  { kind: '10^12 tokens', span: withAttrs({ 'gen_ai.usage.input_tokens': 1e12 }), message: /1000000000000 is implausible/ },
  { kind: 'an event at 2^63 ns', span: (s) => ({ ...s, events: [{ name: 'gen_ai.choice', timeUnixNano: 2n ** 63n }] }), message: /events\[0\]\.timeUnixNano 9223372036854775808 is outside/ },
  { kind: 'a cost overflowing Decimal(38, 12)', span: (s) => ({ ...s, doubleAttributes: { 'gen_ai.usage.cost': 1e30 } }), message: /gen_ai\.usage\.cost = 1e\+30 is implausible/ },
];

let ids = 1000;
const id = (bytes: 8 | 16) => fixtureId(++ids, bytes);

/** A full session: an agent root and 15 chat calls of known usage. */
function session(sessionId: string, startNs: bigint): { spans: FixtureSpan[]; input: number; output: number } {
  const traceId = id(16);
  const root: FixtureSpan = { traceId, spanId: id(8), name: 'invoke_agent helper', startTimeUnixNano: startNs, endTimeUnixNano: startNs + 900n * MS, attributes: { 'session.id': sessionId, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper' } };
  const spans = [root];
  let input = 0;
  let output = 0;
  for (let i = 0; i < 15; i++) {
    const t = startNs + BigInt(10 + i * 50) * MS;
    spans.push({ traceId, spanId: id(8), parentSpanId: root.spanId, name: 'chat gpt-4o-mini', kind: 3, startTimeUnixNano: t, endTimeUnixNano: t + 40n * MS, attributes: { 'session.id': sessionId, ...CHAT, 'gen_ai.usage.input_tokens': 100 + i, 'gen_ai.usage.output_tokens': 10 + i } });
    input += 100 + i;
    output += 10 + i;
  }
  return { spans, input, output };
}

describe('a poison value of one tenant beside another tenant\'s session (keys on, gRPC, HTTP protobuf and OTLP/JSON)', () => {
  let t: TestServer;
  const victim = { sessions: [] as string[], input: 0, output: 0 };
  const attacker = { goodSpans: [] as string[], poisonSpans: [] as string[], input: 0 };
  const answers: { transport: string; poison: Poison; partial: Partial }[] = [];

  async function grpcExport(key: string, body: Uint8Array): Promise<Partial> {
    const client = new Client(t.grpcTarget, credentials.createInsecure());
    const md = new Metadata();
    md.set('x-api-key', key);
    try {
      return await new Promise<Partial>((resolve, reject) => {
        client.makeUnaryRequest(TRACE_EXPORT_PATH, rawBytes, rawBytes, Buffer.from(body), md, (err, res) => (err ? reject(err) : resolve(partialSuccess(res!))));
      });
    } finally {
      client.close();
    }
  }
  async function httpExport(key: string, body: Uint8Array): Promise<Partial> {
    const res = await fetch(`${t.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-api-key': key }, body });
    expect(res.status).toBe(200);
    return partialSuccess(Buffer.from(await res.arrayBuffer()));
  }
  async function jsonExport(key: string, body: string): Promise<Partial> {
    const res = await fetch(`${t.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    expect(res.status).toBe(200);
    const r = (await res.json()) as { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } };
    return { rejectedSpans: Number(r.partialSuccess?.rejectedSpans ?? 0), errorMessage: r.partialSuccess?.errorMessage ?? '' };
  }
  const TRANSPORTS = {
    grpc: (key: string, spans: FixtureSpan[], res: Record<string, string>) => grpcExport(key, buildExportRequest(spans, res)),
    http: (key: string, spans: FixtureSpan[], res: Record<string, string>) => httpExport(key, buildExportRequest(spans, res)),
    'http-json': (key: string, spans: FixtureSpan[], res: Record<string, string>) => jsonExport(key, buildExportRequestJson(spans, res)),
  };

  const query = async <T>(sql: string): Promise<T[]> => (await t.server.store.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  beforeAll(async () => {
    // Everything kept, so victim spans reach the spans table beside the attacker's.
    t = await startTestServer({ ...TENANT_KEYS, sampling: { baselineRate: 1 } });
    const nowNs = BigInt(Date.now()) * MS;
    let n = 0;
    for (const transport of ['grpc', 'http', 'http-json'] as const) {
      const send = TRANSPORTS[transport];
      for (const poison of POISONS) {
        const startNs = nowNs - BigInt(60_000 + n++ * 1000) * MS;
        const v = session(`acme-${transport}-${n}`, startNs);
        victim.sessions.push(`acme-${transport}-${n}`);
        victim.input += v.input;
        victim.output += v.output;
        const traceId = id(16);
        const good: FixtureSpan = { traceId, spanId: id(8), name: 'chat', startTimeUnixNano: startNs, attributes: { ...CHAT, 'session.id': `globex-${n}`, 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 1 } };
        const bad = poison.span({ traceId, spanId: id(8), name: 'chat', startTimeUnixNano: startNs + MS, attributes: { ...CHAT, 'session.id': `globex-${n}`, 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 1 } });
        attacker.goodSpans.push(good.spanId);
        attacker.poisonSpans.push(bad.spanId);
        attacker.input += 7;
        // Sent together, so both tenants' rows meet in the same store batches.
        const [, partial] = await Promise.all([
          send('key-acme', v.spans, { 'service.name': 'victim-svc' }).then((p) => expect(p.rejectedSpans).toBe(0)),
          send('key-globex', [good, bad], { 'service.name': 'attacker-svc' }),
        ]);
        answers.push({ transport, poison, partial });
      }
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      await t.server.store.forceFlush();
      const [row] = await query<{ n: string }>("SELECT count() AS n FROM agenttail.sessions FINAL WHERE TenantId = 'acme'");
      const [spans] = await query<{ n: string }>("SELECT count() AS n FROM agenttail.spans WHERE TenantId = 'acme'");
      if (Number(row!.n) >= victim.sessions.length && Number(spans!.n) >= victim.sessions.length * 16) break;
      if (Date.now() > deadline) throw new Error(`victim rows not written: ${row!.n} sessions, ${spans!.n} spans`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.server.store.forceFlush();
  }, 60_000);

  afterAll(async () => t?.close());

  it.each(POISONS.flatMap((p) => [['grpc', p] as const, ['http', p] as const, ['http-json', p] as const]))('%s: refuses the span with %s through partial_success, naming the attribute and value', (transport, poison) => {
    const a = answers.find((x) => x.transport === transport && x.poison === poison)!;
    expect(a.partial.rejectedSpans).toBe(1);
    expect(a.partial.errorMessage).toMatch(poison.message);
  });

  it("loses nothing of the victim tenant: every span row, every session row, exact usage_hourly totals", async () => {
    const [spans] = await query<{ n: string; u: string }>("SELECT count() AS n, uniqExact(SpanId) AS u FROM agenttail.spans WHERE TenantId = 'acme'");
    expect(Number(spans!.n)).toBe(victim.sessions.length * 16);
    expect(Number(spans!.u)).toBe(victim.sessions.length * 16);
    const rows = await query<{ SessionId: string; SpanCount: number; InputTokens: string; OutputTokens: string }>("SELECT SessionId, SpanCount, InputTokens, OutputTokens FROM agenttail.sessions FINAL WHERE TenantId = 'acme' ORDER BY SessionId");
    expect(rows.map((r) => r.SessionId).sort()).toEqual([...victim.sessions].sort());
    expect(rows.every((r) => r.SpanCount === 16)).toBe(true);
    expect(rows.reduce((s, r) => s + Number(r.InputTokens), 0)).toBe(victim.input);
    const [usage] = await query<{ i: string; o: string; c: string }>("SELECT sum(InputTokens) AS i, sum(OutputTokens) AS o, sum(Calls) AS c FROM agenttail.usage_hourly WHERE TenantId = 'acme'");
    expect(Number(usage!.i)).toBe(victim.input);
    expect(Number(usage!.o)).toBe(victim.output);
    expect(Number(usage!.c)).toBe(victim.sessions.length * 15);
  });

  it('counts a refused span nowhere, and keeps the attacker\'s valid span', async () => {
    const stored = await query<{ SpanId: string }>("SELECT SpanId FROM agenttail.spans WHERE TenantId = 'globex'");
    expect(stored.map((r) => r.SpanId).sort()).toEqual([...attacker.goodSpans].sort());
    const [usage] = await query<{ i: string; c: string }>("SELECT sum(InputTokens) AS i, sum(Calls) AS c FROM agenttail.usage_hourly WHERE TenantId = 'globex'");
    expect(Number(usage!.i)).toBe(attacker.input);
    expect(Number(usage!.c)).toBe(attacker.goodSpans.length);
    const text = await (await fetch(`${t.httpUrl}/metrics`)).text();
    const rejected = (reason: string): number => Number(new RegExp(`^agenttail_receive_spans_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    expect(rejected('usage')).toBe(3 * 5);
    expect(rejected('cost')).toBe(3);
    expect(rejected('timestamp')).toBe(3);
  });
});
