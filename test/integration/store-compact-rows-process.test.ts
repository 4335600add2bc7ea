/**
 * Compact rows (src/store/row-format.ts) for every kind of data, from outside: the built collector as a child process,
 * the real OTel SDKs' gRPC exporters sending a session's spans, two log records in it and a sum, a gauge and a
 * histogram point, each export twice (as a client that did not see the first answer does), kill -9 before the session
 * is decided, a restart on the same data directory. ClickHouse then holds each span, log record and point once, with
 * the values sent: the cells a compact line carries by position (text of 1- to 4-byte characters, maps, arrays,
 * exemplars) and the ones the engine fills itself (`logs.TimestampTime`, a DEFAULT column left off the list).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { queryDataDir } from '../support/collector-process.js';
import { buildSession, deliverTwiceKillRestart, processConfig, SESSION_CALLS, stopWhenWritten } from '../support/redelivery-client.js';

const SESSION = 'compact-日本-😀';
const NOTE = 'é ✓ 😀 日本語';

/** Two log records inside the session's root span. */
async function logRecords(traceId: string, spanId: string): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'retry-bot' }), processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('agent-logs', '1.2.3');
  const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  logger.emit({ body: `tool call started ${NOTE}`, severityText: 'INFO', severityNumber: 9, attributes: { 'app.note': NOTE, 'app.n': 1 }, context });
  logger.emit({ body: { step: 'done', parts: ['a', 'ü'] }, severityText: 'WARN', severityNumber: 13, attributes: { 'app.n': 2 }, context });
  await provider.forceFlush();
  return memory.getFinishedLogRecords().slice();
}

/** One collection of a counter, a gauge and a histogram (cumulative, as the SDK's default exporter sends them). */
async function metrics(): Promise<ResourceMetrics[]> {
  const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'retry-bot' }), readers: [new PeriodicExportingMetricReader({ exporter: memory, exportIntervalMillis: 3_600_000 })] });
  const meter = provider.getMeter('agent-meter', '1.2.3');
  meter.createCounter('agent.requests').add(3, { route: NOTE });
  meter.createGauge('agent.queue.depth').record(7.5, { queue: 'a' });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', advice: { explicitBucketBoundaries: [1, 100, 1000] } });
  for (const v of [120, 30, 5]) tokens.record(v, { 'gen_ai.request.model': 'gpt-4o' });
  await provider.forceFlush();
  const collected = memory.getMetrics().slice();
  await provider.shutdown();
  return collected;
}

/** Exports through a fresh exporter (a new connection, as a retrying client's next attempt); throws unless acknowledged. */
async function exportOnce<T>(exporter: { export(items: T, done: (r: ExportResult) => void): void; shutdown(): Promise<void> }, items: T): Promise<void> {
  try {
    const r = await new Promise<ExportResult>((resolve) => exporter.export(items, resolve));
    if (r.code !== ExportResultCode.SUCCESS) throw new Error(`export not acknowledged: ${String(r.error)}`);
  } finally {
    await exporter.shutdown();
  }
}

describe('compact rows of every kind of data, from outside', () => {
  it('stores spans, log records and metric points once each, as sent, across a second delivery, kill -9 and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-compact-'));
    try {
      const config = processConfig(dir, { sessions: { idleTimeoutMs: 1_500, sweepIntervalMs: 50 }, sampling: { baselineRate: 1 } });
      const spans = buildSession(SESSION);
      const root = spans.find((s) => s.parentSpanContext === undefined)!.spanContext();
      const logs = await logRecords(root.traceId, root.spanId);
      const points = await metrics();
      const c = await deliverTwiceKillRestart(dir, config, spans, async (grpcTarget) => {
        const url = `http://${grpcTarget}`;
        await exportOnce(new OTLPLogExporter({ url, timeoutMillis: 3000 }), logs);
        for (const rm of points) await exportOnce(new OTLPMetricExporter({ url, timeoutMillis: 3000 }), rm);
      });
      expect(await stopWhenWritten(c, 1)).toBe(0);
      const [stored, logRows, sums, gauges, histograms] = await queryDataDir<Record<string, unknown>>(join(dir, 'clickhouse'), [
        'SELECT count() AS n, uniqExact(SpanId) AS u, any(SessionId) AS session FROM agenttail.spans',
        "SELECT Body, SeverityText, SeverityNumber, LogAttributes['app.note'] AS note, LogAttributes['app.n'] AS n, SessionId, ScopeName, TraceId, TimestampTime = toDateTime(Timestamp) AS defaulted FROM agenttail.logs ORDER BY SeverityNumber",
        "SELECT MetricName, Value, Attributes['route'] AS route, IsMonotonic FROM agenttail.otel_metrics_sum FINAL",
        'SELECT MetricName, Value FROM agenttail.otel_metrics_gauge FINAL',
        'SELECT MetricName, Count, Sum, Min, Max, BucketCounts, ExplicitBounds, MetricUnit FROM agenttail.otel_metrics_histogram FINAL',
      ]);
      expect(stored!.map((r) => [Number(r.n), Number(r.u), r.session])).toEqual([[SESSION_CALLS + 1, SESSION_CALLS + 1, SESSION]]);
      expect(logRows).toEqual([
        { Body: `tool call started ${NOTE}`, SeverityText: 'INFO', SeverityNumber: 9, note: NOTE, n: '1', SessionId: SESSION, ScopeName: 'agent-logs', TraceId: root.traceId, defaulted: 1 },
        { Body: '{"step":"done","parts":["a","ü"]}', SeverityText: 'WARN', SeverityNumber: 13, note: '', n: '2', SessionId: SESSION, ScopeName: 'agent-logs', TraceId: root.traceId, defaulted: 1 },
      ]);
      expect(sums).toEqual([{ MetricName: 'agent.requests', Value: 3, route: NOTE, IsMonotonic: true }]);
      expect(gauges).toEqual([{ MetricName: 'agent.queue.depth', Value: 7.5 }]);
      expect(histograms!.map((h) => ({ ...h, Count: Number(h.Count), BucketCounts: (h.BucketCounts as unknown[]).map(Number) }))).toEqual([
        { MetricName: 'gen_ai.client.token.usage', Count: 3, Sum: 155, Min: 5, Max: 120, BucketCounts: [0, 2, 1, 0], ExplicitBounds: [1, 100, 1000], MetricUnit: '{token}' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
