/**
 * Store rows queued as UTF-8 bytes (src/store/pending-lines.ts), from outside: the built collector as a child process,
 * the real OTel gRPC exporter sending a session twice (as a retrying client does), kill -9 before it is decided, a
 * restart on the same data directory. The session's id, span names, status message and attribute values carry
 * characters of 2, 3 and 4 UTF-8 bytes, and one value is ~200 KB of them (the table's first 64 KiB buffer has to grow
 * mid-row). What ClickHouse holds is exactly what the client sent, each span once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { queryDataDir } from '../support/collector-process.js';
import { deliverTwiceKillRestart, processConfig, stopWhenWritten } from '../support/redelivery-client.js';

const SESSION = 'sesión-日本-😀';
const NOTE = 'é ✓ 😀 日本語 \u00ff';
/** ~200 KB of 1- to 4-byte characters (under receive.limits.maxStringBytes, 256 KiB, so nothing is truncated). */
const LONG = 'aé€😀'.repeat(20_000);

function spans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'sérvice-ü' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('text-process');
  const base = { 'gen_ai.conversation.id': SESSION };
  const t0 = Date.now() - 5_000;
  const root = tracer.startSpan('agent «über»', { attributes: { ...base, 'gen_ai.operation.name': 'invoke_agent', 'app.note': NOTE }, startTime: t0 });
  tracer
    .startSpan(
      'chat 模型',
      { startTime: t0 + 10, attributes: { ...base, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'app.long': LONG } },
      trace.setSpan(context.active(), root),
    )
    .end(t0 + 500);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'échec: 😀 日本' });
  root.end(t0 + 1_000);
  return memory.getFinishedSpans();
}

describe('store rows as UTF-8 bytes, from outside', () => {
  it('stores names, messages and values of multi-byte characters as sent, each span once, across a second delivery and kill -9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-text-'));
    try {
      const config = processConfig(dir, { sessions: { idleTimeoutMs: 1_500, sweepIntervalMs: 50 }, sampling: { baselineRate: 1 } });
      const c = await deliverTwiceKillRestart(dir, config, spans());
      expect(await stopWhenWritten(c, 1)).toBe(0);
      const [rows, sessions] = await queryDataDir<Record<string, string | number>>(join(dir, 'clickhouse'), [
        "SELECT SessionId, SpanName, StatusMessage, ServiceName, SpanAttributes['app.note'] AS note, SpanAttributes['app.long'] AS long FROM agenttail.spans ORDER BY SpanName",
        'SELECT SessionId, SpanCount FROM agenttail.sessions FINAL',
      ]);
      expect(rows).toEqual([
        { SessionId: SESSION, SpanName: 'agent «über»', StatusMessage: 'échec: 😀 日本', ServiceName: 'sérvice-ü', note: NOTE, long: '' },
        { SessionId: SESSION, SpanName: 'chat 模型', StatusMessage: '', ServiceName: 'sérvice-ü', note: '', long: LONG },
      ]);
      expect(sessions!.map((s) => [s.SessionId, Number(s.SpanCount)])).toEqual([[SESSION, 2]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
