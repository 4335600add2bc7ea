/**
 * Redaction of OTLP metrics (issue 26): with OTLP metrics ingested, an e-mail address in a data point's attributes
 * reached the otel_metrics_* tables and the write-ahead log even with redaction on. The real sdk-metrics exporters
 * (gRPC protobuf and HTTP/JSON) → the collector with the built-in set on → the tables and every file of the data
 * directory are searched for it (none) and for a non-personal canary beside it (found).
 */
import { readFileSync } from 'node:fs';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, startTestServer, type TestServer } from '../support/server.js';

const EMAIL = 'ann.metrics@corp.example';
const CANARY = 'canary-plan-gold';


/** Every instrument kind, each point carrying the e-mail address and the canary in its attributes. */
async function send(exporter: PushMetricExporter, service: string): Promise<void> {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
    views: [{ instrumentName: 'agent.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('agent-meter');
  const attrs = { 'user.contact': EMAIL, plan: CANARY };
  meter.createCounter('agent.requests').add(2, attrs);
  meter.createGauge('agent.queue.depth').record(4, attrs);
  meter.createHistogram('agent.tokens').record(50, attrs);
  meter.createHistogram('agent.latency', { unit: 's' }).record(0.5, attrs);
  await provider.shutdown();
}

describe('redaction of OTLP metrics (real sdk-metrics exporters)', () => {
  let t: TestServer;
  const rows = async <T>(query: string, n: number): Promise<T[]> => {
    for (let i = 0; i < 200; i++) {
      const r = await (await t.server.store.client.query({ query, format: 'JSONEachRow' })).json<T>();
      if (r.length >= n) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    return (await t.server.store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  };

  beforeAll(async () => {
    t = await startTestServer({ redaction: { enabled: true } });
  });
  afterAll(async () => t?.close());

  it('masks an e-mail address in data point attributes of every kind, over gRPC and HTTP/JSON, before the tables and the log (regression: stored as sent)', async () => {
    await send(new GrpcMetricExporter({ url: `http://${t.grpcTarget}` }), 'metrics-grpc');
    await send(new HttpMetricExporter({ url: `${t.httpUrl}/v1/metrics` }), 'metrics-http');
    for (const table of ['otel_metrics_sum', 'otel_metrics_gauge', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram']) {
      const got = await rows<{ ServiceName: string; contact: string; plan: string }>(
        `SELECT ServiceName, Attributes['user.contact'] AS contact, Attributes['plan'] AS plan FROM agenttail.${table} FINAL WHERE ServiceName LIKE 'metrics-%' ORDER BY ServiceName`,
        2,
      );
      expect(got.map((r) => r.ServiceName), table).toEqual(['metrics-grpc', 'metrics-http']);
      for (const r of got) {
        expect(r.contact, table).not.toContain(EMAIL);
        expect(r.contact, table).not.toBe('');
        expect(r.plan, table).toBe(CANARY);
      }
    }
    await t.server.store.forceFlush();
    const files = filesUnder(t.dir);
    const withEmail = files.filter((f) => readFileSync(f).includes(EMAIL));
    expect(withEmail).toEqual([]);
    expect(files.some((f) => readFileSync(f).includes(CANARY))).toBe(true);
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(/^agenttail_redactions_total\{rule="email",tenant="default",signal="metrics"\} ([1-9]\d*)$/m.test(metrics)).toBe(true);
  }, 60_000);
});
