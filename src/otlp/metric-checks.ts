/**
 * Data point checks of OTLP metrics (opentelemetry-proto metrics.proto's rules). A failed check rejects one point,
 * reported through partial_success; the rest of the request is stored.
 */
import type { OtlpMetricPoint } from './metric-types.js';
import type { TimeWindowNs } from './span-checks.js';
import type { SpanRejectionKind } from './types.js';

/** Thrown inside the metrics decoder to reject the point being read; caught at the point loop. */
export class MetricRejectError extends Error {
  constructor(
    readonly kind: SpanRejectionKind,
    message: string,
  ) {
    super(message);
  }
}

/** ExponentialHistogram scales the spec allows (metrics.proto: "scale … between -10 and 20"). */
const MIN_SCALE = -10;
const MAX_SCALE = 20;

/**
 * Start times may lie before the accepted window (a cumulative series started long ago), but not before 2000-01-01:
 * earlier values are clock errors, and a DateTime64(9) cell reads a short digit string as a date, not nanoseconds.
 */
const MIN_START_NS = 946_684_800n * 1_000_000_000n;

function finite(what: string, v: number): void {
  if (!Number.isFinite(v)) throw new MetricRejectError('value', `${what} is ${v}: the tables hold finite numbers only`);
}

/** finite() for the i-th entry of a list (`list[i]` + `field`): the name is built only when the value is refused. */
function finiteAt(list: string, i: number, field: string, v: number): void {
  if (!Number.isFinite(v)) finite(`${list}[${i}]${field}`, v);
}

function total(counts: readonly bigint[]): bigint {
  let n = 0n;
  for (const c of counts) n += c;
  return n;
}

/** Throws MetricRejectError when a point's times, values or buckets break the data model. */
export function checkMetricPoint(p: OtlpMetricPoint, window: TimeWindowNs): void {
  if (p.timeUnixNano === 0n) throw new MetricRejectError('timestamp', 'timeUnixNano is missing (0)');
  if (p.timeUnixNano < window.minNs || p.timeUnixNano > window.maxNs) {
    throw new MetricRejectError('timestamp', `timeUnixNano ${p.timeUnixNano} is outside the accepted window [${window.minNs}, ${window.maxNs}]`);
  }
  if (p.startTimeUnixNano !== 0n && p.startTimeUnixNano < MIN_START_NS) throw new MetricRejectError('timestamp', `startTimeUnixNano ${p.startTimeUnixNano} is before 2000-01-01 (0 means no start time)`);
  if ('exemplars' in p) {
    for (const [i, e] of p.exemplars.entries()) {
      if (e.timeUnixNano !== 0n && (e.timeUnixNano < MIN_START_NS || e.timeUnixNano > window.maxNs)) throw new MetricRejectError('timestamp', `exemplars[${i}].timeUnixNano ${e.timeUnixNano} is before 2000-01-01 or in the future`);
      finiteAt('exemplars', i, '.value', e.value);
    }
  }
  if (p.startTimeUnixNano > p.timeUnixNano) throw new MetricRejectError('timestamp', `startTimeUnixNano ${p.startTimeUnixNano} is after timeUnixNano ${p.timeUnixNano}`);
  switch (p.kind) {
    case 'sum':
    case 'gauge':
      finite('value', p.value);
      return;
    case 'histogram': {
      finite('sum', p.sum);
      const bounds = p.explicitBounds;
      if (p.bucketCounts.length > 0 && p.bucketCounts.length !== bounds.length + 1) {
        throw new MetricRejectError('buckets', `bucketCounts has ${p.bucketCounts.length} entries; with ${bounds.length} explicitBounds it must have ${bounds.length + 1}`);
      }
      for (let i = 0; i < bounds.length; i++) {
        finiteAt('explicitBounds', i, '', bounds[i]!);
        if (i > 0 && bounds[i]! <= bounds[i - 1]!) throw new MetricRejectError('buckets', `explicitBounds must increase: [${i - 1}] = ${bounds[i - 1]} then [${i}] = ${bounds[i]}`);
      }
      if (p.bucketCounts.length > 0 && total(p.bucketCounts) !== p.count) throw new MetricRejectError('buckets', `bucketCounts add up to ${total(p.bucketCounts)}, not count ${p.count}`);
      return;
    }
    case 'exponential_histogram': {
      finite('sum', p.sum);
      if (p.scale < MIN_SCALE || p.scale > MAX_SCALE) throw new MetricRejectError('buckets', `scale ${p.scale} is outside [${MIN_SCALE}, ${MAX_SCALE}]`);
      const n = p.zeroCount + total(p.positiveBucketCounts) + total(p.negativeBucketCounts);
      if (n !== p.count) throw new MetricRejectError('buckets', `zeroCount and the positive and negative buckets add up to ${n}, not count ${p.count}`);
      return;
    }
    case 'summary':
      finite('sum', p.sum);
      for (const [i, q] of p.quantiles.entries()) {
        if (!(q.quantile >= 0 && q.quantile <= 1)) throw new MetricRejectError('value', `quantileValues[${i}].quantile ${q.quantile} is outside [0, 1]`);
        finiteAt('quantileValues', i, '.value', q.value);
      }
      return;
  }
}
