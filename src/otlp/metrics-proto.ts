/**
 * protobufjs types of opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest and everything it holds,
 * from the field numbers of opentelemetry-proto `metrics/v1/metrics.proto` and `common/v1/common.proto`.
 * (@opentelemetry/otlp-transformer 0.223 ships hand-written serializers, no generated root to decode with.)
 * Names are lowerCamelCase, the OTLP/JSON key names, so the same types read OTLP/JSON through `fromObject`.
 */
import protobuf from 'protobufjs';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const one = (type: string, id: number) => ({ type, id });
/** A proto3 `optional` field: protobufjs tells presence through a synthetic one-field oneof. */
const optional = (type: string, id: number) => ({ type, id, options: { proto3_optional: true } });

const DESCRIPTOR = {
  nested: {
    ExportMetricsServiceRequest: { fields: { resourceMetrics: repeated('ResourceMetrics', 1) } },
    ResourceMetrics: { fields: { resource: one('Resource', 1), scopeMetrics: repeated('ScopeMetrics', 2), schemaUrl: one('string', 3) } },
    Resource: { fields: { attributes: repeated('KeyValue', 1), droppedAttributesCount: one('uint32', 2) } },
    ScopeMetrics: { fields: { scope: one('InstrumentationScope', 1), metrics: repeated('Metric', 2), schemaUrl: one('string', 3) } },
    InstrumentationScope: { fields: { name: one('string', 1), version: one('string', 2), attributes: repeated('KeyValue', 3), droppedAttributesCount: one('uint32', 4) } },
    Metric: {
      oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
      fields: {
        name: one('string', 1),
        description: one('string', 2),
        unit: one('string', 3),
        gauge: one('Gauge', 5),
        sum: one('Sum', 7),
        histogram: one('Histogram', 9),
        exponentialHistogram: one('ExponentialHistogram', 10),
        summary: one('Summary', 11),
        metadata: repeated('KeyValue', 12),
      },
    },
    Gauge: { fields: { dataPoints: repeated('NumberDataPoint', 1) } },
    Sum: { fields: { dataPoints: repeated('NumberDataPoint', 1), aggregationTemporality: one('int32', 2), isMonotonic: one('bool', 3) } },
    Histogram: { fields: { dataPoints: repeated('HistogramDataPoint', 1), aggregationTemporality: one('int32', 2) } },
    ExponentialHistogram: { fields: { dataPoints: repeated('ExponentialHistogramDataPoint', 1), aggregationTemporality: one('int32', 2) } },
    Summary: { fields: { dataPoints: repeated('SummaryDataPoint', 1) } },
    NumberDataPoint: {
      oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
      fields: {
        attributes: repeated('KeyValue', 7),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        asDouble: one('double', 4),
        asInt: one('sfixed64', 6),
        exemplars: repeated('Exemplar', 5),
        flags: one('uint32', 8),
      },
    },
    HistogramDataPoint: {
      oneofs: { _sum: { oneof: ['sum'] }, _min: { oneof: ['min'] }, _max: { oneof: ['max'] } },
      fields: {
        attributes: repeated('KeyValue', 9),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        count: one('fixed64', 4),
        sum: optional('double', 5),
        bucketCounts: repeated('fixed64', 6),
        explicitBounds: repeated('double', 7),
        exemplars: repeated('Exemplar', 8),
        flags: one('uint32', 10),
        min: optional('double', 11),
        max: optional('double', 12),
      },
    },
    ExponentialHistogramDataPoint: {
      oneofs: { _sum: { oneof: ['sum'] }, _min: { oneof: ['min'] }, _max: { oneof: ['max'] } },
      fields: {
        attributes: repeated('KeyValue', 1),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        count: one('fixed64', 4),
        sum: optional('double', 5),
        scale: one('sint32', 6),
        zeroCount: one('fixed64', 7),
        positive: one('Buckets', 8),
        negative: one('Buckets', 9),
        flags: one('uint32', 10),
        exemplars: repeated('Exemplar', 11),
        min: optional('double', 12),
        max: optional('double', 13),
        zeroThreshold: one('double', 14),
      },
    },
    Buckets: { fields: { offset: one('sint32', 1), bucketCounts: repeated('uint64', 2) } },
    SummaryDataPoint: {
      fields: {
        attributes: repeated('KeyValue', 7),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        count: one('fixed64', 4),
        sum: one('double', 5),
        quantileValues: repeated('ValueAtQuantile', 6),
        flags: one('uint32', 8),
      },
    },
    ValueAtQuantile: { fields: { quantile: one('double', 1), value: one('double', 2) } },
    Exemplar: {
      oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
      fields: {
        filteredAttributes: repeated('KeyValue', 7),
        timeUnixNano: one('fixed64', 2),
        asDouble: one('double', 3),
        asInt: one('sfixed64', 6),
        spanId: one('bytes', 4),
        traceId: one('bytes', 5),
      },
    },
    KeyValue: { fields: { key: one('string', 1), value: one('AnyValue', 2) } },
    AnyValue: {
      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
      fields: {
        stringValue: one('string', 1),
        boolValue: one('bool', 2),
        intValue: one('int64', 3),
        doubleValue: one('double', 4),
        arrayValue: one('ArrayValue', 5),
        kvlistValue: one('KeyValueList', 6),
        bytesValue: one('bytes', 7),
      },
    },
    ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
    KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
    ExportMetricsServiceResponse: { fields: { partialSuccess: one('ExportMetricsPartialSuccess', 1) } },
    ExportMetricsPartialSuccess: { fields: { rejectedDataPoints: one('int64', 1), errorMessage: one('string', 2) } },
  },
};

/** The ExportMetricsServiceRequest type (decode, fromObject, toObject). */
export const ExportMetricsServiceRequest: protobuf.Type = protobuf.Root.fromJSON(DESCRIPTOR).lookupType('ExportMetricsServiceRequest');

/** toObject options: 64-bit integers as decimal strings (exact), bytes as base64, presence of oneofs named. */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: String, defaults: true, arrays: true, oneofs: true };
