/**
 * Spans held lean (`sessions.leanSpans`) from outside: the built collector as a child process, the real OTel gRPC
 * exporter sending every batch twice (as a retrying client does), kill -9 before any session is decided, a restart on
 * the same data directory. Recovery replays the requests lean; the kept sessions' spans are read back from the log
 * after the restart and stored whole and once; the dropped session's spans are not stored; the rollups count each
 * span once. Then, on the restarted collector (which decodes arrivals with only the attributes decisions read,
 * src/receive/span-attr-filter.ts), a new kept session and a late span of each decided session, each sent twice: the
 * kept ones come back whole from the log (an attribute and an exception event no decision reads), once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { queryDataDir } from '../support/collector-process.js';
import { deliver, deliverTwiceKillRestart, processConfig } from '../support/redelivery-client.js';

/** Three sessions of a model call, its HTTP child and a tool call; `fail` makes the root an error (kept). */
function agentSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'lean-process' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('lean-process');
  for (const [sessionId, fail] of [['lp-kept-1', true], ['lp-dropped', false], ['lp-kept-2', true]] as const) {
    const conv = { 'gen_ai.conversation.id': sessionId };
    const root = tracer.startSpan('invoke_agent support', { attributes: { ...conv, 'gen_ai.operation.name': 'invoke_agent', 'app.note': `note of ${sessionId}` } });
    const ctx = trace.setSpan(context.active(), root);
    const chat = tracer.startSpan('chat gpt-4o-mini', { kind: 2, attributes: { ...conv, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20 } }, ctx);
    chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': `prompt of ${sessionId}` });
    tracer.startSpan('POST', { kind: 2, attributes: { 'url.full': 'https://api.openai.com/v1/chat/completions' } }, trace.setSpan(ctx, chat)).end();
    chat.end();
    tracer.startSpan('execute_tool get_order', { attributes: { ...conv, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_order' } }, ctx).end();
    if (fail) root.setStatus({ code: SpanStatusCode.ERROR, message: 'the agent failed' });
    root.end();
  }
  return memory.getFinishedSpans();
}

/** After the restart: a new failing session, and a late span of a kept and of a dropped session. */
function liveAndLateSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'lean-process' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('lean-process');
  const live = { 'gen_ai.conversation.id': 'lp-live' };
  const root = tracer.startSpan('invoke_agent support', { attributes: { ...live, 'gen_ai.operation.name': 'invoke_agent', 'app.note': 'note of lp-live' } });
  const chat = tracer.startSpan('chat gpt-4o-mini', { kind: 2, attributes: { ...live, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' } }, trace.setSpan(context.active(), root));
  chat.recordException({ name: 'RateLimitError', message: 'slow down', stack: 'at call (client.js:1)\n'.repeat(20) });
  chat.end();
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'the agent failed' });
  root.end();
  for (const sessionId of ['lp-kept-1', 'lp-dropped']) {
    tracer.startSpan('late step', { attributes: { 'gen_ai.conversation.id': sessionId, 'app.late': `late note of ${sessionId}` } }).end();
  }
  return memory.getFinishedSpans();
}

describe('spans held lean, from outside', () => {
  it('stores a kept session whole and once after a retried export and a kill -9 before the decision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-lean-'));
    try {
      const config = processConfig(dir, {
        // Long enough that nothing is decided before the kill; decided soon after the restart.
        sessions: { idleTimeoutMs: 1_500, sweepIntervalMs: 50, leanSpans: true },
        sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } },
      });
      // The same batch twice (a client that did not see the first answer sends it again), then kill -9 and a restart.
      const second = await deliverTwiceKillRestart(dir, config, agentSpans());
      const recovered = second.logs.find((l) => l.msg === 'recovered from the write-ahead log');
      expect(recovered?.requestsReplayed).toBe(2);
      // Decided after the restart (idle), the kept sessions' detail read back from the log.
      await new Promise((r) => setTimeout(r, 3_000));
      // Arrivals at the restarted collector, each sent twice: a new kept session, late spans of decided sessions.
      const after = liveAndLateSpans();
      for (let i = 0; i < 2; i++) expect(await deliver(second.grpcTarget, after)).toBe(true);
      await new Promise((r) => setTimeout(r, 2_500));
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);

      const [rows, sessions, usage, lost] = await queryDataDir(join(dir, 'clickhouse'), [
        "SELECT SessionId, SpanName, SpanAttributes['app.note'] AS note, Events.Name AS events, count() OVER (PARTITION BY TraceId, SpanId) AS copies FROM agenttail.spans WHERE SessionId != 'lp-live' AND SpanName != 'late step' ORDER BY SessionId, SpanName",
        "SELECT SessionId, Kept FROM agenttail.sessions FINAL WHERE SessionId != 'lp-live' ORDER BY SessionId",
        'SELECT sum(InputTokens) AS i FROM agenttail.usage_hourly',
        "SELECT 1 FROM agenttail.spans WHERE SessionId = 'lp-dropped'",
      ]);
      expect(sessions).toEqual([
        { SessionId: 'lp-dropped', Kept: false },
        { SessionId: 'lp-kept-1', Kept: true },
        { SessionId: 'lp-kept-2', Kept: true },
      ]);
      const stored = rows as { SessionId: string; SpanName: string; note: string; events: string[]; copies: string | number }[];
      // Four spans of each kept session (the HTTP child joins its session by trace), each once.
      expect(stored.map((r) => `${r.SessionId} ${r.SpanName}`)).toEqual([
        'lp-kept-1 POST',
        'lp-kept-1 chat gpt-4o-mini',
        'lp-kept-1 execute_tool get_order',
        'lp-kept-1 invoke_agent support',
        'lp-kept-2 POST',
        'lp-kept-2 chat gpt-4o-mini',
        'lp-kept-2 execute_tool get_order',
        'lp-kept-2 invoke_agent support',
      ]);
      expect(stored.every((r) => Number(r.copies) === 1)).toBe(true);
      // Whole: the attribute no decision reads, and the event, came back from the log.
      expect(stored.filter((r) => r.SpanName.startsWith('invoke_agent')).map((r) => r.note)).toEqual(['note of lp-kept-1', 'note of lp-kept-2']);
      expect(stored.filter((r) => r.SpanName.startsWith('chat')).map((r) => r.events)).toEqual([['gen_ai.content.prompt'], ['gen_ai.content.prompt']]);
      expect(lost).toEqual([]);
      // Three model calls of 100 input tokens, counted once although sent twice and replayed.
      expect(Number((usage![0] as { i: string | number }).i)).toBe(300);

      // After the restart, decoded lean on arrival: the kept session and the kept session's late span are stored
      // whole (read back from the log) and once; the dropped session's late span is not stored.
      const [live, late, liveSession] = await queryDataDir(join(dir, 'clickhouse'), [
        "SELECT SpanName, SpanAttributes['app.note'] AS note, Events.Name AS events, Events.Attributes AS eventAttrs FROM agenttail.spans WHERE SessionId = 'lp-live' ORDER BY SpanName",
        "SELECT SessionId, SpanAttributes['app.late'] AS late FROM agenttail.spans WHERE SpanName = 'late step'",
        "SELECT Kept, SpanCount FROM agenttail.sessions FINAL WHERE SessionId = 'lp-live'",
      ]);
      const liveRows = live as { SpanName: string; note: string; events: string[]; eventAttrs: Record<string, string>[] }[];
      expect(liveRows.map((r) => [r.SpanName, r.note])).toEqual([
        ['chat gpt-4o-mini', ''],
        ['invoke_agent support', 'note of lp-live'],
      ]);
      expect(liveRows[0]!.events).toEqual(['exception']);
      expect(liveRows[0]!.eventAttrs[0]!['exception.stacktrace']).toBe('at call (client.js:1)\n'.repeat(20));
      expect(late).toEqual([{ SessionId: 'lp-kept-1', late: 'late note of lp-kept-1' }]);
      expect(liveSession).toEqual([{ Kept: true, SpanCount: 2 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
