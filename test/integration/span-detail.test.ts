/**
 * Spans held lean until their session is kept (src/sessions/span-detail.ts), from the real OTel SDK over gRPC:
 * while open, a buffered span keeps only the attributes decisions read; a kept session's span rows are stored whole
 * (attributes, events, links read back from the write-ahead log, each span from its own bytes); a dropped session's
 * detail is never read back.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedSpan } from '../../src/model/span.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface SpanRow {
  SpanName: string;
  SpanAttributes: Record<string, string>;
  'Events.Name': string[];
  'Links.SpanId': string[];
}

describe('spans held lean until kept', () => {
  let srv: TestServer;
  const query = async <T>(sql: string): Promise<T[]> => (await srv.server.store.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  /** The open sessions' spans, as the buffer holds them (a look inside, for this test only). */
  const heldSpans = (): NormalizedSpan[] => {
    const groups = (srv.server.buffer as unknown as { groups: { sessions(): Iterable<{ spans(): NormalizedSpan[] }> } }).groups;
    return [...groups.sessions()].flatMap((s) => s.spans());
  };

  async function send(sessionId: string, fail: boolean): Promise<void> {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'lean-app' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://${srv.grpcTarget}` }), { scheduledDelayMillis: 20 })],
    });
    const tracer = provider.getTracer('lean-test');
    const conv = { 'gen_ai.conversation.id': sessionId };
    const root = tracer.startSpan('invoke_agent support', { attributes: { ...conv, 'gen_ai.operation.name': 'invoke_agent', 'app.note': `note of ${sessionId}` } });
    const ctx = trace.setSpan(context.active(), root);
    const chat = tracer.startSpan('chat gpt-4o-mini', { kind: 2, attributes: { ...conv, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'app.prompt': 'a long prompt '.repeat(20) }, links: [{ context: root.spanContext() }] }, ctx);
    chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'hello' });
    chat.end();
    const call = tracer.startSpan('POST', { kind: 2, attributes: { 'url.full': 'https://api.openai.com/v1/chat/completions', 'http.request.method': 'POST' } }, trace.setSpan(ctx, chat));
    call.end();
    if (fail) root.setStatus({ code: SpanStatusCode.ERROR, message: 'the agent failed' });
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
  }

  beforeAll(async () => {
    // Nothing but errors keeps (no baseline, no learning policies): one session kept, one dropped.
    srv = await startTestServer({ sessions: { idleTimeoutMs: 3_000, leanSpans: true }, sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } } });
  });

  afterAll(async () => {
    await srv?.close();
  });

  it('holds open spans without attributes decisions do not read, events or links; stores a kept session whole', async () => {
    await send('lean-kept', true);
    await send('lean-dropped', false);
    const held = heldSpans();
    expect(held.length).toBe(6);
    // Lean while open: what only the span row needs stays in the log.
    expect(held.every((s) => s.detailAt !== undefined && s.events.length === 0 && s.links.length === 0)).toBe(true);
    expect(held.some((s) => 'app.prompt' in s.attributes || 'app.note' in s.attributes)).toBe(false);
    // The stalled detector reads a provider request's URL: that key stays.
    expect(held.filter((s) => s.attributes['url.full'] !== undefined)).toHaveLength(2);

    let rows: SpanRow[] = [];
    for (let i = 0; i < 200 && rows.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows = await query<SpanRow>("SELECT SpanName, SpanAttributes, Events.Name, Links.SpanId FROM agenttail.spans WHERE SessionId = 'lean-kept' ORDER BY SpanName");
    }
    expect(rows.map((r) => r.SpanName)).toEqual(['POST', 'chat gpt-4o-mini', 'invoke_agent support']);
    const [post, chat, root] = rows as [SpanRow, SpanRow, SpanRow];
    expect(root.SpanAttributes['app.note']).toBe('note of lean-kept');
    expect(chat.SpanAttributes['app.prompt']).toBe('a long prompt '.repeat(20));
    expect(chat['Events.Name']).toEqual(['gen_ai.content.prompt']);
    expect(chat['Links.SpanId']).toHaveLength(1);
    expect(post.SpanAttributes['http.request.method']).toBe('POST');

    // The dropped session: its row is written, its spans are not, and nothing was read back or lost.
    let sessions: { SessionId: string; Kept: boolean }[] = [];
    for (let i = 0; i < 200 && sessions.length < 2; i++) {
      sessions = await query<{ SessionId: string; Kept: boolean }>("SELECT SessionId, Kept FROM agenttail.sessions FINAL WHERE SessionId IN ('lean-kept', 'lean-dropped') ORDER BY SessionId");
      if (sessions.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(sessions).toEqual([
      { SessionId: 'lean-dropped', Kept: false },
      { SessionId: 'lean-kept', Kept: true },
    ]);
    expect(await query("SELECT 1 FROM agenttail.spans WHERE SessionId = 'lean-dropped'")).toEqual([]);
    const metrics = await srv.server.collector.registry.getSingleMetricAsString('agenttail_sessions_span_detail_lost_total');
    expect(metrics).toMatch(/agenttail_sessions_span_detail_lost_total 0$/m);
  });

  it('decodes arrivals with only what is read, and stores a kept session’s late span whole', async () => {
    // The receivers decode spans held lean through the attribute filter (a look inside, for this test only).
    const route = (srv.server.collector.handler as unknown as { params: { route: { p: { filter?: unknown } } } }).params.route;
    expect(route.p.filter).toBeDefined();
    // Both sessions were decided by the first test: these spans are late. Their custom attributes were never built
    // on arrival; the kept session's late span row must still carry them, read back from the log.
    for (const sessionId of ['lean-kept', 'lean-dropped']) {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'lean-app' }),
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://${srv.grpcTarget}` }), { scheduledDelayMillis: 20 })],
      });
      const late = provider.getTracer('lean-test').startSpan('late step', { attributes: { 'gen_ai.conversation.id': sessionId, 'app.late': `late note of ${sessionId}`, 'app.payload': 'p'.repeat(500) } });
      late.addEvent('app.checkpoint', { 'app.step': 3 });
      late.end();
      await provider.forceFlush();
      await provider.shutdown();
    }
    let rows: SpanRow[] = [];
    for (let i = 0; i < 200 && rows.length < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows = await query<SpanRow>("SELECT SpanName, SpanAttributes, Events.Name, Links.SpanId FROM agenttail.spans WHERE SessionId = 'lean-kept' AND SpanName = 'late step'");
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]!.SpanAttributes['app.late']).toBe('late note of lean-kept');
    expect(rows[0]!.SpanAttributes['app.payload']).toBe('p'.repeat(500));
    expect(rows[0]!['Events.Name']).toEqual(['app.checkpoint']);
    await srv.server.buffer.settled();
    expect(await query("SELECT 1 FROM agenttail.spans WHERE SessionId = 'lean-dropped'")).toEqual([]);
    const metrics = await srv.server.collector.registry.getSingleMetricAsString('agenttail_sessions_late_spans_total');
    expect(metrics).toMatch(/decision="kept"} 1$/m);
    expect(metrics).toMatch(/decision="dropped"} 1$/m);
  });
});
