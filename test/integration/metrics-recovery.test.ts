/**
 * Metrics requests are logged before they are answered and written again on restart: a collector that stops before
 * its rows reach the store (its log closed as a crash leaves it) writes them once after the restart; one whose rows
 * were written before the crash does not write them again; and a client re-sending the same export after the restart
 * still finds one row per point. The export is the real metrics SDK's (ProtobufMetricsSerializer of sdk-metrics).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deepMerge, parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/main/lifecycle.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { crashInProcess } from '../support/server.js';

/** One SDK export (a counter and a token-usage histogram) of `service`, as the protobuf body the OTLP exporters send. */
async function sdkExport(service: string): Promise<Uint8Array> {
  const mem = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': service }), readers: [new PeriodicExportingMetricReader({ exporter: mem, exportIntervalMillis: 3_600_000 })] });
  const meter = provider.getMeter('agent');
  meter.createCounter('agent.requests').add(2);
  meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' }).record(42, { 'gen_ai.token.type': 'input' });
  await provider.forceFlush();
  const body = ProtobufMetricsSerializer.serializeRequest(mem.getMetrics()[0]!)!;
  await provider.shutdown();
  return body;
}

describe('metrics after a crash (restart on the same data directory)', () => {
  let dir: string;
  let running: RunningServer | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agt-metrics-crash-'));
  });
  afterEach(async () => {
    await running?.shutdown();
    running = null;
    rmSync(dir, { recursive: true, force: true });
  });

  function start(flushIntervalMs: number): Promise<RunningServer> {
    const config = parseConfig(deepMerge({ dataDir: dir, store: { path: join(dir, 'clickhouse'), flushIntervalMs }, receive: TEST_RECEIVE, wal: { durability: 'fsync', checkpointIntervalMs: 600_000 } }, {}));
    return startServer(config, silentLogger());
  }


  const post = async (s: RunningServer, body: Uint8Array) => {
    const res = await fetch(`http://127.0.0.1:${s.httpPort}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(res.status).toBe(200);
  };
  const q = async (s: RunningServer, query: string): Promise<Record<string, unknown>[]> => (await s.store.client.query({ query, format: 'JSONEachRow' })).json();
  /** Raw row counts (no FINAL): what was inserted, before any merge collapses copies. */
  const rawCounts = async (s: RunningServer, service: string) => ({
    sum: (await q(s, `SELECT count() AS n FROM agenttail.otel_metrics_sum WHERE ServiceName = '${service}'`))[0]!.n,
    histogram: (await q(s, `SELECT count() AS n FROM agenttail.otel_metrics_histogram WHERE ServiceName = '${service}'`))[0]!.n,
  });

  it('writes the points of a request logged but not yet written once after the restart', async () => {
    const first = await start(600_000);
    await post(first, await sdkExport('unwritten'));
    expect(await rawCounts(first, 'unwritten')).toEqual({ sum: 0, histogram: 0 });
    await crashInProcess(first);

    running = await start(100);
    expect(running.recovery?.metricRequestsReplayed).toBe(1);
    await running.store.forceFlush();
    expect(await rawCounts(running, 'unwritten')).toEqual({ sum: 1, histogram: 1 });
    expect(await q(running, `SELECT Value FROM agenttail.otel_metrics_sum WHERE ServiceName = 'unwritten'`)).toEqual([{ Value: 2 }]);
  }, 90_000);

  it('does not write again what was written before the crash, and a re-delivery after the restart is one row', async () => {
    const first = await start(100);
    const body = await sdkExport('written');
    await post(first, body);
    await first.store.forceFlush();
    expect(await rawCounts(first, 'written')).toEqual({ sum: 1, histogram: 1 });
    await crashInProcess(first);

    running = await start(100);
    expect(running.recovery?.metricRequestsReplayed).toBe(1);
    await running.store.forceFlush();
    // The replayed write's key is confirmed in the log: the store skips it (no second insert at all).
    expect(await rawCounts(running, 'written')).toEqual({ sum: 1, histogram: 1 });

    // The client did not hear back and sends the same export again. Alone in its batch, the copy's batch has the same
    // content and so the same dedup token: ClickHouse drops the insert. In a batch with other rows it would be inserted,
    // and FINAL (ReplacingMergeTree on the point's identity) shows one row either way.
    await post(running, body);
    await running.store.forceFlush();
    expect(await rawCounts(running, 'written')).toEqual({ sum: 1, histogram: 1 });
    expect(await q(running, `SELECT MetricName, Value FROM agenttail.otel_metrics_sum FINAL WHERE ServiceName = 'written'`)).toEqual([{ MetricName: 'agent.requests', Value: 2 }]);
    expect(await q(running, `SELECT Count, Sum FROM agenttail.otel_metrics_histogram FINAL WHERE ServiceName = 'written'`)).toEqual([{ Count: 1, Sum: 42 }]);
  }, 90_000);
});
