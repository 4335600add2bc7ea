/**
 * The decision cache's byte bound (`sampling.decisionCache.maxBytes`) from outside: the built collector with a 64 KiB
 * cache, the real OTel gRPC exporter sending 120 one-call sessions, then the same batch again once they are decided
 * (a client retrying late). Most decided sessions have been evicted by then, so the retry re-opens them; the spans
 * they counted are still remembered (src/sessions/counted-spans.ts), so usage is stored once. /metrics counts the
 * evictions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { queryDataDir, startCollectorProcess } from '../support/collector-process.js';
import { processConfig } from '../support/redelivery-client.js';

const SESSIONS = 120;

function callSessions(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'cache-bound' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('cache-bound');
  for (let i = 0; i < SESSIONS; i++) {
    tracer
      .startSpan('chat gpt-4o-mini', { kind: 2, attributes: { 'gen_ai.conversation.id': `cb-${i}`, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20 } })
      .end();
  }
  return memory.getFinishedSpans();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('decision cache bounded by bytes, from outside', () => {
  it('evicts decided sessions past maxBytes, counts the evictions, and a late retry of theirs is stored once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-cache-bound-'));
    try {
      const config = processConfig(dir, {
        sessions: { idleTimeoutMs: 300, sweepIntervalMs: 50 },
        sampling: { decisionCache: { maxBytes: 65_536 } },
      });
      const c = await startCollectorProcess(dir, config);
      const spans = callSessions();
      const exporter = new OTLPTraceExporter({ url: `http://${c.grpcTarget}` });
      const send = (): Promise<ExportResult> => new Promise((resolve) => exporter.export(spans, resolve));
      expect((await send()).code).toBe(0);
      await sleep(1_500); // every session decided (idle 300 ms)
      expect((await send()).code).toBe(0); // the same batch again, after the decisions
      await sleep(1_500);
      await exporter.shutdown();
      const metrics = await (await fetch(`${c.httpUrl}/metrics`)).text();
      const evicted = Number(/^agenttail_sampling_decision_cache_evicted_sessions_total (\S+)$/m.exec(metrics)?.[1] ?? NaN);
      expect(evicted).toBeGreaterThan(0);
      c.child.kill('SIGTERM');
      expect((await c.exited).code).toBe(0);

      const [usage, sessions] = await queryDataDir(join(dir, 'clickhouse'), [
        'SELECT sum(InputTokens) AS i FROM agenttail.usage_hourly',
        'SELECT uniqExact(SessionId) AS n FROM agenttail.sessions FINAL',
      ]);
      // 120 calls of 100 input tokens, counted once although the batch came twice.
      expect(Number((usage![0] as { i: string | number }).i)).toBe(SESSIONS * 100);
      expect(Number((sessions![0] as { n: string | number }).n)).toBe(SESSIONS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
