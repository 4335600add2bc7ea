import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { decodeMetricsRequest, decodeMetricsRequestJson } from '../../src/otlp/decode-metrics.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';

const MS = 1_000_000n;
const NOW_MS = Date.now();
const now = (): string => String(BigInt(NOW_MS) * MS);
const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
const request = (metrics: unknown[]) => ({ resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeMetrics: [{ scope: { name: 'm' }, metrics }] }] });

async function sdkMetrics(): Promise<ResourceMetrics> {
  const mem = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc', n: 42 }),
    readers: [new PeriodicExportingMetricReader({ exporter: mem, exportIntervalMillis: 3_600_000 })],
    views: [{ instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('scope', '2.0');
  meter.createUpDownCounter('updown').add(-4, { a: 'b' });
  meter.createHistogram('hist', { advice: { explicitBucketBoundaries: [10] } }).record(3);
  meter.createHistogram('exp').record(2);
  meter.createGauge('gauge').record(1.5);
  await provider.forceFlush();
  const rm = mem.getMetrics()[0]!;
  await provider.shutdown();
  return rm;
}

describe('decodeMetricsRequest', () => {
  it('reads the SDK serializer\'s protobuf and OTLP/JSON of one collection into the same points', async () => {
    const rm = await sdkMetrics();
    const fromProto = decodeMetricsRequest(ProtobufMetricsSerializer.serializeRequest(rm)!, DEFAULT_DECODE_LIMITS, NOW_MS);
    const fromJson = decodeMetricsRequestJson(JsonMetricsSerializer.serializeRequest(rm)!, DEFAULT_DECODE_LIMITS, NOW_MS);
    expect(fromProto.rejected).toEqual([]);
    expect(fromJson).toEqual(fromProto);
    const byName = new Map(fromProto.points.map((p) => [p.metric.name, p]));
    expect(byName.get('updown')).toMatchObject({ kind: 'sum', value: -4, attributes: { a: 'b' }, metric: { isMonotonic: false, aggregationTemporality: 2 } });
    expect(byName.get('hist')).toMatchObject({ kind: 'histogram', count: 1n, sum: 3, min: 3, max: 3, bucketCounts: [1n, 0n], explicitBounds: [10] });
    expect(byName.get('exp')).toMatchObject({ kind: 'exponential_histogram', count: 1n, sum: 2, positiveBucketCounts: [1n], negativeBucketCounts: [], zeroCount: 0n, scale: 20 });
    expect(byName.get('gauge')).toMatchObject({ kind: 'gauge', value: 1.5 });
    expect(fromProto.points[0]!.resource.attributes).toEqual({ 'service.name': 'svc', n: 42 });
    expect(fromProto.points[0]!.scope).toMatchObject({ name: 'scope', version: '2.0' });
  });

  it('reads OTLP/JSON exemplar ids as hex and snake_case keys', () => {
    const d = decodeMetricsRequestJson(
      json(request([{ name: 'g', gauge: { data_points: [{ time_unix_nano: now(), as_int: '9', exemplars: [{ time_unix_nano: now(), as_double: 1, trace_id: '0102030405060708090a0b0c0d0e0f10', span_id: '0102030405060708' }] }] } }])),
      DEFAULT_DECODE_LIMITS,
      NOW_MS,
    );
    expect(d.rejected).toEqual([]);
    expect(d.points[0]).toMatchObject({ kind: 'gauge', value: 9, exemplars: [{ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708', value: 1 }] });
  });

  it('refuses bad points one by one, naming the metric and the rule', () => {
    const t = now();
    const d = decodeMetricsRequestJson(
      json(
        request([
          { name: 'ok', gauge: { dataPoints: [{ timeUnixNano: t, asDouble: 1 }] } },
          { name: '', gauge: { dataPoints: [{ timeUnixNano: t, asDouble: 1 }] } },
          { name: 'nodata' },
          { name: 'novalue', gauge: { dataPoints: [{ timeUnixNano: t }] } },
          { name: 'old', gauge: { dataPoints: [{ timeUnixNano: '1000', asDouble: 1 }] } },
          { name: 'backwards', sum: { dataPoints: [{ startTimeUnixNano: String(BigInt(t) + 1n), timeUnixNano: t, asDouble: 1 }] } },
          { name: 'bounds', histogram: { dataPoints: [{ timeUnixNano: t, count: '2', bucketCounts: ['1', '1', '0'], explicitBounds: [5, 1] }] } },
          { name: 'scale', exponentialHistogram: { dataPoints: [{ timeUnixNano: t, count: '0', scale: 21 }] } },
          { name: 'expcount', exponentialHistogram: { dataPoints: [{ timeUnixNano: t, count: '5', zeroCount: '1', positive: { bucketCounts: ['1'] } }] } },
          { name: 'quantile', summary: { dataPoints: [{ timeUnixNano: t, count: '1', sum: 1, quantileValues: [{ quantile: 1.5, value: 1 }] }] } },
        ]),
      ),
      DEFAULT_DECODE_LIMITS,
      NOW_MS,
    );
    expect(d.points.map((p) => p.metric.name)).toEqual(['ok']);
    expect(d.rejected.map((r) => [r.kind, r.reason])).toEqual([
      ['metric', 'metric name is empty'],
      ['metric', 'metric has no data (one of gauge, sum, histogram, exponentialHistogram, summary)'],
      ['value', 'data point has no value (asDouble or asInt)'],
      ['timestamp', expect.stringContaining('timeUnixNano 1000 is outside the accepted window')],
      ['timestamp', expect.stringContaining('is after timeUnixNano')],
      ['buckets', 'explicitBounds must increase: [0] = 5 then [1] = 1'],
      ['buckets', 'scale 21 is outside [-10, 20]'],
      ['buckets', 'zeroCount and the positive and negative buckets add up to 2, not count 5'],
      ['value', 'quantileValues[0].quantile 1.5 is outside [0, 1]'],
    ]);
    expect(d.rejected[2]!.path).toBe('resourceMetrics[0].scopeMetrics[0].metrics[3].gauge.dataPoints[0] (novalue)');
  });

  it('names the list entry that is not a finite number (the name is built only for a refusal)', () => {
    const t = now();
    const d = decodeMetricsRequestJson(
      json(
        request([
          { name: 'bound', histogram: { dataPoints: [{ timeUnixNano: t, count: '2', bucketCounts: ['1', '1', '0'], explicitBounds: [1, 'Infinity'] }] } },
          { name: 'exemplar', gauge: { dataPoints: [{ timeUnixNano: t, asDouble: 1, exemplars: [{ timeUnixNano: t, asDouble: 1 }, { timeUnixNano: t, asDouble: 'NaN' }] }] } },
          { name: 'quantile', summary: { dataPoints: [{ timeUnixNano: t, count: '1', sum: 1, quantileValues: [{ quantile: 0.5, value: 1 }, { quantile: 0.9, value: '-Infinity' }] }] } },
        ]),
      ),
      DEFAULT_DECODE_LIMITS,
      NOW_MS,
    );
    expect(d.points).toEqual([]);
    expect(d.rejected.map((r) => [r.kind, r.reason])).toEqual([
      ['value', 'explicitBounds[1] is Infinity: the tables hold finite numbers only'],
      ['value', 'exemplars[1].value is NaN: the tables hold finite numbers only'],
      ['value', 'quantileValues[1].value is -Infinity: the tables hold finite numbers only'],
    ]);
  });

  it('throws AGT_ERR_MALFORMED_REQUEST for JSON that is no request and AGT_ERR_LIMIT_EXCEEDED past maxSpansPerRequest', () => {
    expect(() => decodeMetricsRequestJson(json([1, 2]), DEFAULT_DECODE_LIMITS, NOW_MS)).toThrow(expect.objectContaining({ code: 'AGT_ERR_MALFORMED_REQUEST' }));
    expect(() => decodeMetricsRequestJson(Buffer.from('{"resourceMetrics": ['), DEFAULT_DECODE_LIMITS, NOW_MS)).toThrow(expect.objectContaining({ code: 'AGT_ERR_MALFORMED_REQUEST' }));
    const points = Array.from({ length: 3 }, () => ({ timeUnixNano: now(), asDouble: 1 }));
    expect(() => decodeMetricsRequestJson(json(request([{ name: 'g', gauge: { dataPoints: points } }])), { ...DEFAULT_DECODE_LIMITS, maxSpansPerRequest: 2 }, NOW_MS)).toThrow(expect.objectContaining({ code: 'AGT_ERR_LIMIT_EXCEEDED' }));
  });
});
