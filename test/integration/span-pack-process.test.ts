/**
 * Buffered spans held as columns (src/sessions/span-pack.ts), from outside: the built collector as a child process,
 * the real OTel gRPC exporter sending the batch twice (as a retrying client does), kill -9 before the session is
 * decided, a restart on the same data directory (recovery puts the logged spans back into columns). What the stored
 * rows say of each span — its times to the nanosecond, kind, status and message, tool, endpoint, tokens, and the
 * session's user and tool path — equals what the client sent; nothing is stored twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { queryDataDir } from '../support/collector-process.js';
import { deliverTwiceKillRestart, processConfig, untilWritten } from '../support/redelivery-client.js';

const SESSION = 'pack-1';

/** One failed agent turn: a model call to a named endpoint with cached tokens, two calls of one tool with their own call ids. */
function agentSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'pack-process' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('pack-process', '1.2.3');
  const base = { 'gen_ai.conversation.id': SESSION, 'user.id': 'user-42' };
  const t0 = Date.now() - 5_000;
  const root = tracer.startSpan('invoke_agent support', { attributes: { ...base, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' }, startTime: t0 });
  const ctx = trace.setSpan(context.active(), root);
  tracer
    .startSpan(
      'chat gpt-4o-mini',
      {
        kind: 2,
        startTime: t0 + 10,
        attributes: {
          ...base,
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'server.address': 'api.openai.com',
          'server.port': 443,
          'gen_ai.usage.input_tokens': 1_000,
          'gen_ai.usage.output_tokens': 50,
          'gen_ai.usage.cache_read.input_tokens': 400,
        },
      },
      ctx,
    )
    .end(t0 + 900);
  for (const [i, id] of ['call_a', 'call_b'].entries()) {
    tracer
      .startSpan('execute_tool get_order', { startTime: t0 + 1_000 + i * 100, attributes: { ...base, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_order', 'gen_ai.tool.call.id': id } }, ctx)
      .end(t0 + 1_050 + i * 100);
  }
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'the agent gave up' });
  root.end(t0 + 2_000);
  return memory.getFinishedSpans();
}

/** OTel's [seconds, nanoseconds] as a decimal count of nanoseconds. */
const nanos = (t: readonly [number, number]): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();

describe('buffered spans held as columns, from outside', () => {
  it('stores every field it held as the client sent it, once, after a retried export and a kill -9 before the decision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-pack-'));
    try {
      const config = processConfig(dir, {
        // Long enough that nothing is decided before the kill; decided soon after the restart.
        sessions: { idleTimeoutMs: 1_500, sweepIntervalMs: 50 },
      });
      const spans = agentSpans();
      const second = await deliverTwiceKillRestart(dir, config, spans);
      await untilWritten(second, 1);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);

      const [rows, sessions] = await queryDataDir(join(dir, 'clickhouse'), [
        `SELECT SpanId, SpanName, SpanKind, toString(toUnixTimestamp64Nano(Timestamp)) AS start, toString(Duration) AS duration, StatusCode, StatusMessage,
                ScopeName, ScopeVersion, GenAiTool, ServerAddress, ServerPort, InputTokens, CacheReadTokens, SpanAttributes['gen_ai.tool.call.id'] AS callId
           FROM agenttail.spans WHERE SessionId = '${SESSION}' ORDER BY Timestamp, SpanName`,
        `SELECT Kept, UserId, ToolPath, SpanCount FROM agenttail.sessions FINAL WHERE SessionId = '${SESSION}'`,
      ]);
      expect(sessions).toEqual([{ Kept: true, UserId: 'user-42', ToolPath: ['get_order', 'get_order'], SpanCount: 4 }]);
      const stored = rows as Record<string, unknown>[];
      const sent = [...spans].sort((a, b) => nanos(a.startTime).localeCompare(nanos(b.startTime)));
      expect(stored.map((r) => r.SpanId)).toEqual(sent.map((s) => s.spanContext().spanId));
      for (const [i, s] of sent.entries()) {
        const r = stored[i]!;
        expect(r.SpanName).toBe(s.name);
        expect(r.start).toBe(nanos(s.startTime));
        expect(r.duration).toBe((BigInt(nanos(s.endTime)) - BigInt(nanos(s.startTime))).toString());
        expect(r.ScopeName).toBe('pack-process');
        expect(r.ScopeVersion).toBe('1.2.3');
      }
      const [root, chat, tool1, tool2] = stored as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
      expect(root).toMatchObject({ SpanName: 'invoke_agent support', StatusCode: 'STATUS_CODE_ERROR', StatusMessage: 'the agent gave up', SpanKind: 'SPAN_KIND_INTERNAL' });
      expect(chat).toMatchObject({ SpanKind: 'SPAN_KIND_CLIENT', ServerAddress: 'api.openai.com', ServerPort: 443, InputTokens: 1_000, CacheReadTokens: 400 });
      expect([tool1, tool2].map((t) => [t.GenAiTool, t.callId])).toEqual([
        ['get_order', 'call_a'],
        ['get_order', 'call_b'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
