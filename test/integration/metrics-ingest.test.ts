/**
 * OTLP metrics from the real OpenTelemetry metrics SDK (`@opentelemetry/sdk-metrics` with the OTLP gRPC and HTTP
 * exporters) over real sockets on port 0 into the embedded store: every data kind lands in its otel_metrics_* table,
 * tenant-scoped; bad payloads are refused naming the problem; the same export delivered twice is stored once.
 */
import { gzipSync } from 'node:zlib';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkTokenUsageSection } from '../../dashboards/build/sdk-token-usage.js';
import { ExportMetricsServiceRequest } from '../../src/otlp/metrics-proto.js';
import { METRICS_EXPORT_PATH, rawBytes } from '../../src/otlp/trace-service.js';
import { expandPanelSql } from '../support/grafana-macros.js';
import { startTestServer, TENANT_KEYS, type TestServer } from '../support/server.js';

const MS = 1_000_000n;

/** A meter provider whose one reader exports through `exporter` when flushed (never on a timer within a test). */
function providerFor(exporter: PushMetricExporter, service: string): MeterProvider {
  return new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
    views: [{ instrumentName: 'agent.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
}

/** Records one of each instrument kind the SDK has: counter (Sum), gauge, histogram, exponential histogram. */
function record(provider: MeterProvider): void {
  const meter = provider.getMeter('agent-meter', '1.2.3');
  meter.createCounter('agent.requests', { description: 'requests', unit: '{request}' }).add(3, { route: 'chat' });
  meter.createGauge('agent.queue.depth').record(7, { queue: 'a' });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', advice: { explicitBucketBoundaries: [1, 100, 1000] } });
  tokens.record(120, { 'gen_ai.token.type': 'input', 'gen_ai.request.model': 'gpt-4o' });
  tokens.record(30, { 'gen_ai.token.type': 'output', 'gen_ai.request.model': 'gpt-4o' });
  tokens.record(5, { 'gen_ai.token.type': 'output', 'gen_ai.request.model': 'gpt-4o' });
  meter.createHistogram('agent.latency', { unit: 's' }).record(0.25);
}

/** One raw MetricsService/Export call; resolves with the error (null for OK) and the response bytes. */
function grpcExport(target: string, body: Uint8Array): Promise<{ err: ServiceError | null; response: Buffer | undefined }> {
  const md = new Metadata();
  md.set('authorization', 'Bearer key-acme');
  const client = new Client(target, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(METRICS_EXPORT_PATH, rawBytes, rawBytes, Buffer.from(body), md, (err, response) => {
      client.close();
      resolve({ err, response });
    });
  });
}

/** An ExportMetricsServiceRequest of the given metrics under one resource of `service`, as protobuf. */
function metricsRequest(service: string, metrics: Record<string, unknown>[]): Uint8Array {
  const req = { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeMetrics: [{ scope: { name: 'test' }, metrics }] }] };
  return ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(req)).finish();
}

const nowNs = (): string => String(BigInt(Date.now()) * MS);

interface Row {
  [k: string]: unknown;
}

describe('OTLP metrics ingest', () => {
  let t: TestServer;
  const q = async (sql: string): Promise<Row[]> => (await t.server.store.client.query({ query: sql, format: 'JSONEachRow' })).json<Row>();
  const db = () => t.server.store.database;
  async function until(sql: string, n: number): Promise<Row[]> {
    let rows: Row[] = [];
    for (let i = 0; i < 200; i++) {
      rows = await q(sql);
      if (rows.length >= n) return rows;
      await new Promise((r) => setTimeout(r, 50));
    }
    return rows;
  }
  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${t.httpUrl}${path}`, { method: 'POST', headers: { authorization: 'Bearer key-acme', ...headers }, body });

  beforeAll(async () => {
    t = await startTestServer({ ...TENANT_KEYS, store: { flushIntervalMs: 50 } });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('MetricsService/Export over gRPC (sdk-metrics + exporter-metrics-otlp-grpc)', () => {
    it('stores each kind in its table under the key\'s tenant', async () => {
      const md = new Metadata();
      md.set('authorization', 'Bearer key-acme');
      const provider = providerFor(new GrpcMetricExporter({ url: `http://${t.grpcTarget}`, metadata: md }), 'grpc-svc');
      record(provider);
      // Shutdown exports once (a forceFlush before it would export the cumulative series a second time, at a later time).
      await provider.shutdown();

      const sums = await until(`SELECT TenantId, ServiceName, ScopeName, ScopeVersion, MetricName, MetricDescription, MetricUnit, Attributes, Value, AggregationTemporality, IsMonotonic, StartTimeUnix <= TimeUnix AS ordered FROM ${db()}.otel_metrics_sum FINAL WHERE ServiceName = 'grpc-svc'`, 1);
      expect(sums).toEqual([
        { TenantId: 'acme', ServiceName: 'grpc-svc', ScopeName: 'agent-meter', ScopeVersion: '1.2.3', MetricName: 'agent.requests', MetricDescription: 'requests', MetricUnit: '{request}', Attributes: { route: 'chat' }, Value: 3, AggregationTemporality: 2, IsMonotonic: true, ordered: 1 },
      ]);
      const gauges = await until(`SELECT TenantId, MetricName, Attributes, Value FROM ${db()}.otel_metrics_gauge FINAL WHERE ServiceName = 'grpc-svc'`, 1);
      expect(gauges).toEqual([{ TenantId: 'acme', MetricName: 'agent.queue.depth', Attributes: { queue: 'a' }, Value: 7 }]);
      const hist = await until(`SELECT TenantId, MetricName, MetricUnit, Attributes['gen_ai.token.type'] AS type, Count, Sum, Min, Max, BucketCounts, ExplicitBounds, AggregationTemporality FROM ${db()}.otel_metrics_histogram FINAL WHERE ServiceName = 'grpc-svc' ORDER BY type`, 2);
      expect(hist).toEqual([
        { TenantId: 'acme', MetricName: 'gen_ai.client.token.usage', MetricUnit: '{token}', type: 'input', Count: 1, Sum: 120, Min: 120, Max: 120, BucketCounts: [0, 0, 1, 0], ExplicitBounds: [1, 100, 1000], AggregationTemporality: 2 },
        { TenantId: 'acme', MetricName: 'gen_ai.client.token.usage', MetricUnit: '{token}', type: 'output', Count: 2, Sum: 35, Min: 5, Max: 30, BucketCounts: [0, 2, 0, 0], ExplicitBounds: [1, 100, 1000], AggregationTemporality: 2 },
      ]);
      const exp = await until(`SELECT TenantId, MetricName, Count, Sum, Scale, ZeroCount, arraySum(PositiveBucketCounts) AS positive FROM ${db()}.otel_metrics_exponential_histogram FINAL WHERE ServiceName = 'grpc-svc'`, 1);
      expect(exp).toHaveLength(1);
      expect(exp[0]).toMatchObject({ TenantId: 'acme', MetricName: 'agent.latency', Count: 1, Sum: 0.25, ZeroCount: 0, positive: 1 });
    });
  });

  describe('the cost dashboard\'s SDK token panel', () => {
    it('counts a cumulative series by its growth, not by adding its points', async () => {
      const md = new Metadata();
      md.set('authorization', 'Bearer key-acme');
      const provider = providerFor(new GrpcMetricExporter({ url: `http://${t.grpcTarget}`, metadata: md }), 'panel-svc');
      const tokens = provider.getMeter('agent').createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
      const attrs = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06' };
      tokens.record(120, { ...attrs, 'gen_ai.token.type': 'input' });
      await provider.forceFlush();
      tokens.record(30, { ...attrs, 'gen_ai.token.type': 'input' });
      tokens.record(7, { ...attrs, 'gen_ai.token.type': 'output' });
      await provider.shutdown();
      // Two cumulative exports of the input series: 120, then 150.
      await until(`SELECT Sum FROM ${db()}.otel_metrics_histogram FINAL WHERE ServiceName = 'panel-svc' AND Attributes['gen_ai.token.type'] = 'input'`, 2);
      const panel = sdkTokenUsageSection.panels[0]!;
      if (panel.kind !== 'sql') throw new Error('the SDK token panel reads ClickHouse');
      const sql = expandPanelSql(panel.sql, {
        fromMs: Date.now() - 3_600_000,
        toMs: Date.now() + 60_000,
        intervalMs: 60_000,
        variables: { tenant: { current: ['acme'] }, service: { current: ['panel-svc'] }, model: { current: ['$__all'], options: ['gpt-4o-2024-08-06'] }, agent: { current: ['$__all'], options: [] } },
      });
      // No spans were sent: the exact side is 0 and the difference is all the SDK's.
      expect(await q(sql)).toEqual([
        { tenant: 'acme', service: 'panel-svc', model: 'gpt-4o-2024-08-06', sdk_input: 150, exact_input: 0, input_difference: 150, sdk_output: 7, exact_output: 0, output_difference: 7 },
      ]);
    });
  });

  describe('POST /v1/metrics', () => {
    it('takes OTLP/JSON from exporter-metrics-otlp-http, delta temporality', async () => {
      const exporter = new HttpMetricExporter({ url: `${t.httpUrl}/v1/metrics`, headers: { authorization: 'Bearer key-globex' }, temporalityPreference: AggregationTemporality.DELTA });
      const provider = providerFor(exporter, 'http-json-svc');
      record(provider);
      // Shutdown exports once (a forceFlush before it would export the cumulative series a second time, at a later time).
      await provider.shutdown();
      const sums = await until(`SELECT TenantId, MetricName, Value, AggregationTemporality FROM ${db()}.otel_metrics_sum FINAL WHERE ServiceName = 'http-json-svc'`, 1);
      expect(sums).toEqual([{ TenantId: 'globex', MetricName: 'agent.requests', Value: 3, AggregationTemporality: 1 }]);
      const hist = await until(`SELECT sum(Sum) AS s, sum(Count) AS c FROM ${db()}.otel_metrics_histogram FINAL WHERE ServiceName = 'http-json-svc' HAVING c > 0`, 1);
      expect(hist).toEqual([{ s: 155, c: 3 }]);
      const exp = await until(`SELECT Count FROM ${db()}.otel_metrics_exponential_histogram FINAL WHERE ServiceName = 'http-json-svc'`, 1);
      expect(exp).toEqual([{ Count: 1 }]);
    });

    it('takes gzip protobuf (the SDK\'s ProtobufMetricsSerializer) and answers an empty ExportMetricsServiceResponse', async () => {
      const mem = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      const provider = providerFor(mem, 'http-proto-svc');
      record(provider);
      await provider.forceFlush();
      const body = ProtobufMetricsSerializer.serializeRequest(mem.getMetrics()[0]!)!;
      await provider.shutdown();
      const res = await post('/v1/metrics', gzipSync(body), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/x-protobuf');
      expect((await res.arrayBuffer()).byteLength).toBe(0);
      const counts: Record<string, unknown> = {};
      for (const [kind, n] of [['sum', 1], ['gauge', 1], ['histogram', 2], ['exponential_histogram', 1]] as const) {
        counts[kind] = (await until(`SELECT TenantId FROM ${db()}.otel_metrics_${kind} FINAL WHERE ServiceName = 'http-proto-svc'`, n)).length;
      }
      expect(counts).toEqual({ sum: 1, gauge: 1, histogram: 2, exponential_histogram: 1 });
    });

    it('stores OTLP/JSON summaries (no SDK instrument makes them) with their quantiles', async () => {
      const now = BigInt(Date.now()) * MS;
      const body = JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'summary-svc' } }] },
            scopeMetrics: [{ metrics: [{ name: 'rpc.duration', unit: 'ms', summary: { dataPoints: [{ startTimeUnixNano: String(now - 1000n * MS), timeUnixNano: String(now), count: '4', sum: 10.5, quantileValues: [{ quantile: 0.5, value: 2 }, { quantile: 0.99, value: 5 }] }] } }] }],
          },
        ],
      });
      const res = await post('/v1/metrics', body, { 'content-type': 'application/json' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
      const rows = await until(`SELECT TenantId, MetricName, Count, Sum, ValueAtQuantiles.Quantile AS q, ValueAtQuantiles.Value AS v FROM ${db()}.otel_metrics_summary FINAL WHERE ServiceName = 'summary-svc'`, 1);
      expect(rows).toEqual([{ TenantId: 'acme', MetricName: 'rpc.duration', Count: 4, Sum: 10.5, q: [0.5, 0.99], v: [2, 5] }]);
    });
  });

  describe('bad payloads', () => {
    const bucketsOff = () => ({ name: 'bad.hist', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: nowNs(), count: '3', sum: 1, bucketCounts: ['1', '2'], explicitBounds: [1, 2, 3] }] } });

    it('answers INVALID_ARGUMENT on gRPC naming the problem when no point can be stored', async () => {
      const { err } = await grpcExport(t.grpcTarget, metricsRequest('bad-grpc', [bucketsOff()]));
      expect(err?.code).toBe(status.INVALID_ARGUMENT);
      expect(err?.details).toContain('AGT_ERR_INVALID_METRIC');
      expect(err?.details).toContain('bucketCounts has 2 entries; with 3 explicitBounds it must have 4');
    });

    it('answers INVALID_ARGUMENT for bytes that are no ExportMetricsServiceRequest', async () => {
      const { err } = await grpcExport(t.grpcTarget, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
      expect(err?.code).toBe(status.INVALID_ARGUMENT);
      expect(err?.details).toContain('AGT_ERR_MALFORMED_REQUEST');
    });

    it('answers 400 on HTTP naming each problem: no name, no data, no time, a NaN value, buckets not adding up', async () => {
      const body = JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad-http' } }] },
            scopeMetrics: [
              {
                metrics: [
                  { name: '', gauge: { dataPoints: [{ timeUnixNano: nowNs(), asDouble: 1 }] } },
                  { name: 'no.data' },
                  { name: 'no.time', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '5' }] } },
                  { name: 'nan.value', gauge: { dataPoints: [{ timeUnixNano: nowNs(), asDouble: 'NaN' }] } },
                  { name: 'bad.count', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: nowNs(), count: '9', bucketCounts: ['1', '2'], explicitBounds: [10] }] } },
                ],
              },
            ],
          },
        ],
      });
      const res = await post('/v1/metrics', body, { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { code: number; message: string };
      expect(answer.code).toBe(3);
      expect(answer.message).toContain('AGT_ERR_INVALID_METRIC');
      for (const problem of ['metric name is empty', '(no.data): metric has no data', '(no.time): timeUnixNano is missing', '(nan.value): value is NaN', 'bucketCounts add up to 3, not count 9']) {
        expect(answer.message).toContain(problem);
      }
    });

    it('stores the good points beside bad ones and reports the bad in partial_success', async () => {
      const body = JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partly-bad' } }] },
            scopeMetrics: [{ metrics: [{ name: 'good.gauge', gauge: { dataPoints: [{ timeUnixNano: nowNs(), asDouble: 2.5 }] } }, bucketsOff()] }],
          },
        ],
      });
      const res = await post('/v1/metrics', body, { 'content-type': 'application/json' });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
      expect(answer.partialSuccess.rejectedDataPoints).toBe('1');
      expect(answer.partialSuccess.errorMessage).toContain('(bad.hist): bucketCounts has 2 entries');
      // A gauge without a start time: StartTimeUnix is the epoch (a bare "0" would not parse as a DateTime64 cell).
      expect(await until(`SELECT Value, toUnixTimestamp64Nano(StartTimeUnix) AS start FROM ${db()}.otel_metrics_gauge FINAL WHERE ServiceName = 'partly-bad'`, 1)).toEqual([{ Value: 2.5, start: 0 }]);
      expect(await q(`SELECT count() AS n FROM ${db()}.dead_letter WHERE TargetTable LIKE 'otel_metrics_%'`)).toEqual([{ n: 0 }]);
    });
  });

  describe('delivered twice', () => {
    it('stores the same export once, whichever transport brings the copy', async () => {
      const time = nowNs();
      const metrics = [
        { name: 'twice.sum', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ startTimeUnixNano: time, timeUnixNano: time, asDouble: 4, attributes: [{ key: 'k', value: { stringValue: 'v' } }] }] } },
        { name: 'twice.hist', histogram: { aggregationTemporality: 2, dataPoints: [{ startTimeUnixNano: time, timeUnixNano: time, count: '1', sum: 3, bucketCounts: ['1', '0'], explicitBounds: [5] }] } },
      ];
      const body = metricsRequest('twice-svc', metrics);
      expect((await grpcExport(t.grpcTarget, body)).err).toBeNull();
      await t.server.store.forceFlush();
      const res = await post('/v1/metrics', body, { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(200);
      await t.server.store.forceFlush();
      // The copy again, beside a new point: its batch differs from the first, so no insert token matches and the
      // copy is inserted a second time.
      const other = { name: 'twice.other', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ startTimeUnixNano: time, timeUnixNano: time, asDouble: 1 }] } };
      expect((await grpcExport(t.grpcTarget, metricsRequest('twice-svc', [...metrics, other]))).err).toBeNull();
      await t.server.store.forceFlush();
      expect(await q(`SELECT count() AS n FROM ${db()}.otel_metrics_sum WHERE ServiceName = 'twice-svc' AND MetricName = 'twice.sum'`)).toEqual([{ n: 2 }]);
      // One point all the same: ReplacingMergeTree keyed on the point's identity, read with FINAL or after a merge.
      expect(await q(`SELECT MetricName, Value FROM ${db()}.otel_metrics_sum FINAL WHERE ServiceName = 'twice-svc' ORDER BY MetricName`)).toEqual([
        { MetricName: 'twice.other', Value: 1 },
        { MetricName: 'twice.sum', Value: 4 },
      ]);
      expect(await q(`SELECT MetricName, Count FROM ${db()}.otel_metrics_histogram FINAL WHERE ServiceName = 'twice-svc'`)).toEqual([{ MetricName: 'twice.hist', Count: 1 }]);
      await q(`OPTIMIZE TABLE ${db()}.otel_metrics_sum FINAL`);
      expect(await q(`SELECT count() AS n FROM ${db()}.otel_metrics_sum WHERE ServiceName = 'twice-svc' AND MetricName = 'twice.sum'`)).toEqual([{ n: 1 }]);
    });
  });
});
