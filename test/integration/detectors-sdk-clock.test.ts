import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

interface SessionRow {
  SessionId: string;
  Reasons: string[];
  Detectors: string[];
}

const SESSIONS = 40;

/** Spins for `ms` (fractions of a millisecond): the SDK's end clock is high resolution, its start clock whole ms. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/**
 * One agent turn as an ordinary agent runs it, every span stamped by the SDK's own clock: a model call, the same tool
 * called twice in a row with the same arguments (sequentially, new call ids), a model call, a tool call that fails
 * within a millisecond, and at once the model call that reads the error. `stall`: no model call after the failure.
 */
function agentTurn(tracer: Tracer, sessionId: string, stall: boolean): void {
  const conv = { 'gen_ai.conversation.id': sessionId, 'gen_ai.agent.name': 'support' };
  const root = tracer.startSpan('invoke_agent support', { attributes: { ...conv, 'gen_ai.operation.name': 'invoke_agent' } });
  const ctx = trace.setSpan(context.active(), root);
  const chat = (): void => {
    const s = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: 2,
        attributes: { ...conv, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20 },
      },
      ctx,
    );
    // Model calls take far longer than a millisecond (here 2–4 ms, to keep the test quick).
    busy(2 + Math.random() * 2);
    s.end();
  };
  const tool = (name: string, callId: string, args: string, fail: boolean): void => {
    const s = tracer.startSpan(
      `execute_tool ${name}`,
      { attributes: { ...conv, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.id': callId, 'gen_ai.tool.call.arguments': args } },
      ctx,
    );
    // A tool that fails fast: within the millisecond, the case the SDK's whole-ms start clock gets wrong.
    busy(0.1 + Math.random() * 0.8);
    if (fail) s.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    s.end();
  };
  chat();
  tool('get_order', 'call_1', '{"order":"A-17"}', false);
  tool('get_order', 'call_2', '{"order":"A-17"}', false);
  chat();
  tool('charge', 'call_3', '{"amount":12}', true);
  if (!stall) chat();
  root.end();
}

// Spans made by the real OTel JS SDK with its own clocks (start: Date.now() in whole ms; end: start + a
// high-resolution duration) → OTLP/gRPC → the whole collector; the session rows are read back.
describe('detectors on the OTel JS SDK clock', () => {
  let srv: TestServer;
  const query = async <T>(sql: string): Promise<T[]> => (await srv.server.store.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  async function sessionRows(prefix: string, n: number): Promise<SessionRow[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = await query<SessionRow>(`SELECT SessionId, Reasons, Detectors FROM agenttail.sessions FINAL WHERE startsWith(SessionId, '${prefix}') ORDER BY SessionId`);
      if (rows.length >= n) return rows;
      if (Date.now() > deadline) throw new Error(`${rows.length} of ${n} session rows for ${prefix}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function send(prefix: string, n: number, stall: boolean): Promise<void> {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'clock-app' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://${srv.grpcTarget}` }), { scheduledDelayMillis: 50 })],
    });
    const tracer = provider.getTracer('clock-test');
    for (let i = 0; i < n; i++) agentTurn(tracer, `${prefix}-${String(i).padStart(3, '0')}`, stall);
    await provider.forceFlush();
    await provider.shutdown();
  }

  beforeAll(async () => {
    srv = await startTestServer({ sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } } });
  });
  afterAll(async () => srv.close());

  it('does not call a session stalled when the model call starts in the millisecond the failed tool ended (regression: 18 of 40 kept as stalled)', async () => {
    await send('clock-ok', SESSIONS, false);
    const rows = await sessionRows('clock-ok', SESSIONS);
    expect(rows).toHaveLength(SESSIONS);
    const stalled = rows.filter((r) => r.Detectors.includes('stalled') || r.Reasons.includes('stalled'));
    expect(stalled.map((r) => r.SessionId)).toEqual([]);
    // A tool called again right after it returned is a repeat, not a race with a call still running.
    expect(rows.filter((r) => r.Detectors.includes('budget_race')).map((r) => r.SessionId)).toEqual([]);
    // The failed tool still keeps every session as an error: the detectors are the only thing that changed.
    expect(rows.every((r) => r.Reasons.includes('error'))).toBe(true);
  });

  it('still calls a session stalled when no model call came after the failed tool', async () => {
    await send('clock-stall', 5, true);
    const rows = await sessionRows('clock-stall', 5);
    expect(rows.map((r) => r.Detectors.includes('stalled'))).toEqual([true, true, true, true, true]);
  });
});
