/**
 * ExportMetricsServiceRequest (protobuf or OTLP/JSON) → one OtlpMetricPoint per data point, through protobufjs
 * (src/otlp/metrics-proto.ts). A point that fails a check is rejected alone (partial_success); a request that does
 * not decode at all throws (AGT_ERR_MALFORMED_REQUEST).
 */
import { AgtError } from '../model/errors.js';
import { ExportMetricsServiceRequest, TO_OBJECT } from './metrics-proto.js';
import { checkMetricPoint, MetricRejectError } from './metric-checks.js';
import type { ExponentialHistogramPoint, HistogramPoint, MetricKind, NumberPoint, OtlpExemplar, OtlpMetricInfo, OtlpMetricPoint, SummaryPoint } from './metric-types.js';
import { timeWindowNs } from './span-checks.js';
import type { AttrValue, Attributes, OtlpResource, OtlpScope } from '../model/otlp-values.js';
import type { DecodeLimits, SpanRejection } from './types.js';

/** A decoded metrics request: its points and the ones refused. */
export interface DecodedMetrics {
  points: OtlpMetricPoint[];
  rejected: SpanRejection[];
}

// protobufjs toObject output, typed as far as this file reads it.
type Obj = Record<string, unknown>;
type KeyValue = { key: string; value: Obj | null };

const KINDS: Record<string, MetricKind> = { gauge: 'gauge', sum: 'sum', histogram: 'histogram', exponentialHistogram: 'exponential_histogram', summary: 'summary' };

/** Decodes a protobuf ExportMetricsServiceRequest. */
export function decodeMetricsRequest(body: Uint8Array, limits: DecodeLimits, nowMs: number): DecodedMetrics {
  const msg = ExportMetricsServiceRequest.decode(body);
  return readRequest(ExportMetricsServiceRequest.toObject(msg, TO_OBJECT), limits, nowMs);
}

/** Decodes an OTLP/JSON ExportMetricsServiceRequest (lowerCamelCase keys, snake_case read too; exemplar ids in hex). */
export function decodeMetricsRequestJson(body: Uint8Array, limits: DecodeLimits, nowMs: number): DecodedMetrics {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new AgtError('AGT_ERR_MALFORMED_REQUEST', `body is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AgtError('AGT_ERR_MALFORMED_REQUEST', 'body must be a JSON object (ExportMetricsServiceRequest)');
  const json = toProtoJson(parsed, '', 0, limits.maxAnyValueDepth * 2 + 16);
  const msg = ExportMetricsServiceRequest.fromObject(json as Obj);
  return readRequest(ExportMetricsServiceRequest.toObject(msg, TO_OBJECT), limits, nowMs);
}

/** OTLP/JSON → what protobufjs fromObject reads: snake_case keys to camelCase, hex trace/span ids to base64. */
function toProtoJson(v: unknown, key: string, depth: number, maxDepth: number): unknown {
  if (depth > maxDepth) throw new AgtError('AGT_ERR_LIMIT_EXCEEDED', `JSON nesting deeper than ${maxDepth}`);
  if (Array.isArray(v)) return v.map((x) => toProtoJson(x, key, depth + 1, maxDepth));
  if (v === null || typeof v !== 'object') {
    if ((key === 'traceId' || key === 'spanId') && typeof v === 'string') {
      if (!/^[0-9a-fA-F]*$/.test(v) || v.length % 2 !== 0) throw new AgtError('AGT_ERR_MALFORMED_REQUEST', `exemplar ${key} must be a hex string, got ${JSON.stringify(v.slice(0, 40))}`);
      return Buffer.from(v, 'hex').toString('base64');
    }
    return v;
  }
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    const camel = k.includes('_') ? k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()) : k;
    out[camel] = toProtoJson(x, camel, depth + 1, maxDepth);
  }
  return out;
}

function readRequest(req: Obj, limits: DecodeLimits, nowMs: number): DecodedMetrics {
  const window = timeWindowNs(limits, nowMs);
  const points: OtlpMetricPoint[] = [];
  const rejected: SpanRejection[] = [];
  const rms = (req.resourceMetrics as Obj[]) ?? [];
  rms.forEach((rm, ri) => {
    const res = (rm.resource as Obj | null) ?? { attributes: [], droppedAttributesCount: 0 };
    const resource: OtlpResource = { attributes: attrs(res.attributes, limits), droppedAttributesCount: Number(res.droppedAttributesCount ?? 0) };
    if (rm.schemaUrl) resource.schemaUrl = rm.schemaUrl as string;
    ((rm.scopeMetrics as Obj[]) ?? []).forEach((sm, si) => {
      const sc = (sm.scope as Obj | null) ?? {};
      const scope: OtlpScope = { name: (sc.name as string) ?? '', version: (sc.version as string) ?? '', attributes: attrs(sc.attributes ?? [], limits) };
      if (sm.schemaUrl) scope.schemaUrl = sm.schemaUrl as string;
      ((sm.metrics as Obj[]) ?? []).forEach((m, mi) => {
        const path = `resourceMetrics[${ri}].scopeMetrics[${si}].metrics[${mi}]`;
        const name = m.name as string;
        const kindKey = m.data as string | undefined;
        const kind = kindKey === undefined ? undefined : KINDS[kindKey];
        if (name === '' || name.length > 1024) {
          rejected.push({ kind: 'metric', path, reason: name === '' ? 'metric name is empty' : `metric name is longer than 1024 characters` });
          return;
        }
        if (kind === undefined) {
          rejected.push({ kind: 'metric', path: `${path} (${name})`, reason: 'metric has no data (one of gauge, sum, histogram, exponentialHistogram, summary)' });
          return;
        }
        const data = m[kindKey!] as Obj;
        const info: OtlpMetricInfo = {
          name,
          description: m.description as string,
          unit: m.unit as string,
          aggregationTemporality: Number(data.aggregationTemporality ?? 0),
          isMonotonic: data.isMonotonic === true,
        };
        ((data.dataPoints as Obj[]) ?? []).forEach((dp, pi) => {
          if (points.length + rejected.length >= limits.maxSpansPerRequest) {
            throw new AgtError('AGT_ERR_LIMIT_EXCEEDED', `request has more than maxSpansPerRequest ${limits.maxSpansPerRequest} data points`);
          }
          try {
            const p = readPoint(kind, dp, { resource, scope, metric: info }, limits);
            checkMetricPoint(p, window);
            points.push(p);
          } catch (err) {
            if (!(err instanceof MetricRejectError)) throw err;
            // The point's path is built only for a rejection (it was a string per point).
            rejected.push({ kind: err.kind, path: `${path}.${kindKey}.dataPoints[${pi}] (${name})`, reason: err.message });
          }
        });
      });
    });
  });
  return { points, rejected };
}

function readPoint(kind: MetricKind, dp: Obj, base: { resource: OtlpResource; scope: OtlpScope; metric: OtlpMetricInfo }, limits: DecodeLimits): OtlpMetricPoint {
  const attrList = (dp.attributes as KeyValue[]) ?? [];
  if (attrList.length > limits.maxAttributesPerSpan) throw new MetricRejectError('attributes', `${attrList.length} attributes, more than maxAttributesPerSpan ${limits.maxAttributesPerSpan}`);
  const common = {
    ...base,
    attributes: attrs(attrList, limits),
    startTimeUnixNano: BigInt(dp.startTimeUnixNano as string),
    timeUnixNano: BigInt(dp.timeUnixNano as string),
    flags: Number(dp.flags ?? 0),
  };
  switch (kind) {
    case 'sum':
    case 'gauge': {
      if (dp.value === undefined) throw new MetricRejectError('value', 'data point has no value (asDouble or asInt)');
      const p: NumberPoint = { ...common, kind, value: dp.value === 'asInt' ? Number(dp.asInt as string) : (dp.asDouble as number), exemplars: exemplars(dp.exemplars, limits) };
      return p;
    }
    case 'histogram': {
      const p: HistogramPoint = {
        ...common,
        kind,
        count: BigInt(dp.count as string),
        sum: optionalNumber(dp, 'sum'),
        min: optionalNumber(dp, 'min'),
        max: optionalNumber(dp, 'max'),
        bucketCounts: ((dp.bucketCounts as string[]) ?? []).map((c) => BigInt(c)),
        explicitBounds: (dp.explicitBounds as number[]) ?? [],
        exemplars: exemplars(dp.exemplars, limits),
      };
      return p;
    }
    case 'exponential_histogram': {
      const pos = (dp.positive as Obj | null) ?? { offset: 0, bucketCounts: [] };
      const neg = (dp.negative as Obj | null) ?? { offset: 0, bucketCounts: [] };
      const p: ExponentialHistogramPoint = {
        ...common,
        kind,
        count: BigInt(dp.count as string),
        sum: optionalNumber(dp, 'sum'),
        min: optionalNumber(dp, 'min'),
        max: optionalNumber(dp, 'max'),
        scale: Number(dp.scale ?? 0),
        zeroCount: BigInt(dp.zeroCount as string),
        positiveOffset: Number(pos.offset ?? 0),
        positiveBucketCounts: ((pos.bucketCounts as string[]) ?? []).map((c) => BigInt(c)),
        negativeOffset: Number(neg.offset ?? 0),
        negativeBucketCounts: ((neg.bucketCounts as string[]) ?? []).map((c) => BigInt(c)),
        exemplars: exemplars(dp.exemplars, limits),
      };
      return p;
    }
    case 'summary': {
      const p: SummaryPoint = {
        ...common,
        kind,
        count: BigInt(dp.count as string),
        sum: dp.sum as number,
        quantiles: ((dp.quantileValues as Obj[]) ?? []).map((q) => ({ quantile: q.quantile as number, value: q.value as number })),
      };
      return p;
    }
  }
}

/** A proto3 `optional double`: its value when present, 0 when absent (the exporter's columns are not Nullable). */
function optionalNumber(dp: Obj, field: string): number {
  // toObject leaves an absent member of a (synthetic) oneof out, defaults or not.
  const v = dp[field];
  return typeof v === 'number' ? v : 0;
}

function exemplars(v: unknown, limits: DecodeLimits): OtlpExemplar[] {
  return ((v as Obj[]) ?? []).map((e) => ({
    filteredAttributes: attrs(e.filteredAttributes, limits),
    timeUnixNano: BigInt(e.timeUnixNano as string),
    value: e.value === 'asInt' ? Number(e.asInt as string) : ((e.asDouble as number) ?? 0),
    spanId: Buffer.from((e.spanId as string) ?? '', 'base64').toString('hex'),
    traceId: Buffer.from((e.traceId as string) ?? '', 'base64').toString('hex'),
  }));
}

function attrs(v: unknown, limits: DecodeLimits): Attributes {
  const out: Attributes = {};
  for (const kv of (v as KeyValue[]) ?? []) out[kv.key] = anyValue(kv.value, 0, limits);
  return out;
}

function anyValue(v: Obj | null, depth: number, limits: DecodeLimits): AttrValue {
  if (v === null || v.value === undefined) return null;
  if (depth > limits.maxAnyValueDepth) throw new MetricRejectError('nesting', `attribute value nested deeper than maxAnyValueDepth ${limits.maxAnyValueDepth}`);
  switch (v.value) {
    case 'stringValue':
      return v.stringValue as string;
    case 'boolValue':
      return v.boolValue as boolean;
    case 'intValue': {
      const n = Number(v.intValue as string);
      // Beyond 2^53 a number loses digits: the decimal text is kept instead.
      return Number.isSafeInteger(n) ? n : (v.intValue as string);
    }
    case 'doubleValue':
      return v.doubleValue as number;
    case 'bytesValue':
      return new Uint8Array(Buffer.from(v.bytesValue as string, 'base64'));
    case 'arrayValue':
      return (((v.arrayValue as Obj).values as Obj[]) ?? []).map((x) => anyValue(x, depth + 1, limits));
    case 'kvlistValue': {
      const out: Record<string, AttrValue> = {};
      for (const kv of (((v.kvlistValue as Obj).values as KeyValue[]) ?? [])) out[kv.key] = anyValue(kv.value, depth + 1, limits);
      return out;
    }
    default:
      return null;
  }
}
