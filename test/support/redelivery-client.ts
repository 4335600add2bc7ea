/**
 * A client that re-delivers: one finished agent session as the OTel SDK hands it to its exporter, sent (and sent
 * again, as a retry would: the same spans, the same ids) through a fresh real OTLP/gRPC exporter; plus the small
 * waits on the collector's /metrics the restart tests need.
 */
import { context, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { join } from 'node:path';
import { deepMerge } from '../../src/config/load.js';
import { startCollectorProcess, type CollectorProcess } from './collector-process.js';
import { TEST_RECEIVE } from './collector.js';

/** Model calls per built session (plus one root span). */
export const SESSION_CALLS = 5;
/** Σ input and output tokens of one built session. */
export const SESSION_TOKENS = { input: 5 * 100 + 10, output: 5 * 10 + 10 };

/** One finished session (a root and SESSION_CALLS model calls, call k with 100 + k input and 10 + k output tokens). */
export function buildSession(sessionId: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'retry-bot' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('retry-agent');
  const root = tracer.startSpan('invoke_agent support', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': sessionId } });
  const ctx = trace.setSpan(context.active(), root);
  for (let k = 0; k < SESSION_CALLS; k++) {
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.conversation.id': sessionId,
      'gen_ai.usage.input_tokens': 100 + k,
      'gen_ai.usage.output_tokens': 10 + k,
    };
    tracer.startSpan('chat gpt-4o-mini', { kind: 2, attributes }, ctx).end();
  }
  root.end();
  return memory.getFinishedSpans().slice();
}

/** Sends the spans once through a fresh exporter; true when acknowledged. */
export async function deliver(grpcTarget: string, spans: ReadableSpan[]): Promise<boolean> {
  const exporter = new OTLPTraceExporter({ url: `http://${grpcTarget}`, timeoutMillis: 3000 });
  try {
    return await new Promise<boolean>((resolve) => exporter.export(spans, (r) => resolve(r.code === ExportResultCode.SUCCESS)));
  } finally {
    await exporter.shutdown();
  }
}

/** The sum of a metric over its labels, from the collector's /metrics. */
export async function metricSum(c: CollectorProcess, name: string): Promise<number> {
  const text = await (await fetch(`${c.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** Polls until `check` holds (up to 10 s). */
export async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Resolves once the collector decided at least `sessions` sessions and its writer queues are empty (rows in ClickHouse). */
export function untilWritten(c: CollectorProcess, sessions: number): Promise<void> {
  return until(`${sessions} sessions are decided and written`, async () => (await metricSum(c, 'agenttail_sessions_decided_total')) >= sessions && (await metricSum(c, 'agenttail_store_rows_written_total')) > 0 && (await metricSum(c, 'agenttail_store_queue_rows')) === 0);
}

/** Waits until `sessions` are decided and written, then stops the collector gracefully (SIGTERM, also on a timeout); its exit code. */
export async function stopWhenWritten(c: CollectorProcess, sessions: number): Promise<number | null> {
  try {
    await untilWritten(c, sessions);
  } finally {
    c.child.kill('SIGTERM');
  }
  return (await c.exited).code;
}

/**
 * The config the restart tests start the built collector with: `dir` as its data directory and store, rows flushed
 * every 100 ms, free ports, the log fsync'ed, info logs (startCollectorProcess reads them); `overrides` deep-merged.
 */
export function processConfig(dir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return deepMerge({ dataDir: dir, logLevel: 'info', store: { path: join(dir, 'clickhouse'), flushIntervalMs: 100 }, receive: TEST_RECEIVE, wal: { durability: 'fsync' } }, overrides);
}

/**
 * A retrying client and a crash: starts the built collector on `dir`, delivers `spans` twice (each through a fresh
 * exporter, as a client that did not see the first answer does), kills it with SIGKILL before anything is decided
 * (`config` must hold sessions longer than this takes), and starts it again on the same data directory. `alsoSend`
 * (logs, metrics: through its own exporters) runs after each delivery of the spans, so it is sent twice too.
 */
export async function deliverTwiceKillRestart(dir: string, config: Record<string, unknown>, spans: ReadableSpan[], alsoSend?: (grpcTarget: string) => Promise<void>): Promise<CollectorProcess> {
  const first = await startCollectorProcess(dir, config);
  for (let i = 0; i < 2; i++) {
    if (!(await deliver(first.grpcTarget, spans))) throw new Error('the collector did not acknowledge the export');
    await alsoSend?.(first.grpcTarget);
  }
  first.child.kill('SIGKILL');
  const death = await first.exited;
  if (death.signal !== 'SIGKILL') throw new Error(`the collector ended by ${death.signal ?? `exit ${death.code}`}, not SIGKILL`);
  return startCollectorProcess(dir, config);
}
