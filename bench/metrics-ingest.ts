/**
 * Metrics ingest per data point against spans ingest per span, in one run (issue 26): 512-item OTLP protobuf requests
 * through the production ExportHandler — spans via TraceRoute (decode, normalize, price) into the SessionBuffer with
 * decisions; metric points via MetricRoute (protobufjs decode, point checks, tenant, row built) into the MetricWriter
 * with the no-op journal. Stores only count (this measures ingest, not ClickHouse). Rounds alternate spans / points.
 * Points are what the GenAI SDK instrumentation sends: per request 128 `gen_ai.client.token.usage` histogram points
 * (14 buckets, 5 attributes), 128 `gen_ai.client.operation.duration` histogram points, 128 monotonic sums and 128 gauges
 * (4 attributes each).
 * Run: npx tsx bench/metrics-ingest.ts [requests per round] [rounds]
 */
import Table from 'cli-table3';
import { Registry } from 'prom-client';
import { receiveSchema } from '../src/config/receive.js';
import { silentLogger } from '../src/log.js';
import { MetricRoute } from '../src/metrics/metric-route.js';
import { MetricWriter } from '../src/metrics/metric-writer.js';
import { ExportMetricsServiceRequest } from '../src/otlp/metrics-proto.js';
import { ok } from '../src/model/outcome.js';
import { Authenticator } from '../src/receive/auth.js';
import { ExportHandler } from '../src/receive/export-handler.js';
import { ReceiveMetrics } from '../src/receive/metrics.js';
import { QuotaManager } from '../src/receive/quota.js';
import { RefusalLog } from '../src/receive/refusal-log.js';
import { buildExportRequest, type FixtureSpan } from '../test/support/otlp-fixtures.js';
import { agentTrace } from './support/agent-traffic.js';
import { CountingStore } from './support/counting-store.js';
import { ingestPipeline } from './support/ingest-pipeline.js';

const REQUESTS = Number(process.argv[2] ?? 40);
const ROUNDS = Number(process.argv[3] ?? 3);
const PER_KIND = 128; // 4 kinds × 128 = 512 points per request
const NOW_MS = Date.now();
const BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];
const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });

/** 512 spans: 32 sessions of 16, as wal-ingest sends. */
function spanRequest(first: number): Uint8Array {
  const specs: FixtureSpan[] = [];
  for (let n = first; n < first + 32; n++) specs.push(...agentTrace(n, 16, NOW_MS));
  return buildExportRequest(specs, { 'service.name': 'support-agent' }, { nowMs: NOW_MS });
}

/** 512 metric points, four metrics of 128 series each (cumulative, one point per series). */
function metricRequest(first: number): Uint8Array {
  const start = String(BigInt(NOW_MS - 600_000) * 1_000_000n);
  const time = String(BigInt(NOW_MS - 1_000) * 1_000_000n);
  const attrs = (i: number) => [kv('gen_ai.operation.name', 'chat'), kv('gen_ai.provider.name', 'openai'), kv('gen_ai.request.model', `model-${i % 8}`), kv('server.address', `api-${(first + i) % 4}.example.com`)];
  const histogram = (i: number, extra: ReturnType<typeof kv>[]) => {
    const bucketCounts = BOUNDS.map((_, b) => String((i + b) % 5)).concat(['1']);
    const count = bucketCounts.reduce((n, c) => n + Number(c), 0);
    return { startTimeUnixNano: start, timeUnixNano: time, count: String(count), sum: count * 37.5, min: 1, max: 9000, bucketCounts, explicitBounds: BOUNDS, attributes: [...attrs(i), ...extra] };
  };
  const series = Array.from({ length: PER_KIND }, (_, i) => i);
  const metrics = [
    { name: 'gen_ai.client.token.usage', unit: '{token}', histogram: { aggregationTemporality: 2, dataPoints: series.map((i) => histogram(i, [kv('gen_ai.token.type', i % 2 === 0 ? 'input' : 'output')])) } },
    { name: 'gen_ai.client.operation.duration', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: series.map((i) => histogram(i, [])) } },
    { name: 'agent.tool.calls', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: series.map((i) => ({ startTimeUnixNano: start, timeUnixNano: time, asInt: String(i * 3), attributes: attrs(i) })) } },
    { name: 'agent.queue.depth', gauge: { dataPoints: series.map((i) => ({ timeUnixNano: time, asDouble: i / 2, attributes: attrs(i) })) } },
  ];
  const req = { resourceMetrics: [{ resource: { attributes: [kv('service.name', 'support-agent'), kv('host.name', `host-${first % 7}`)] }, scopeMetrics: [{ scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' }, metrics }] }] };
  return ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(req)).finish();
}

const log = silentLogger();
const auth = new Authenticator({ keys: [], log });
const shared = () => ({ auth, quotas: new QuotaManager({ quota: { spansPerSecond: 0, bytesPerSecond: 0 }, tenantQuotas: {} }), metrics: new ReceiveMetrics(new Registry()), refusals: new RefusalLog({ log }), maxStringBytes: receiveSchema.parse({}).limits.maxStringBytes, log });

function metricsPipeline() {
  let rows = 0;
  const store = { writeMetrics: (r: readonly unknown[]) => ((rows += r.length), ok()), hasCapacity: () => true };
  const route = new MetricRoute({ auth, limits: receiveSchema.parse({}).limits, sink: new MetricWriter({ store }) });
  return { handler: new ExportHandler({ ...shared(), route }), rows: () => rows };
}

async function drive(handler: ExportHandler, bodies: Uint8Array[]): Promise<{ items: number; ms: number }> {
  let items = 0;
  const t0 = performance.now();
  for (const body of bodies) {
    const r = await handler.handle({ credentials: {}, body, format: 'protobuf', transport: 'grpc' });
    if (r.status !== 'ok') throw new Error(`bench: refused ${r.error.code}: ${r.error.message}`);
    if (r.value.rejected > 0) throw new Error(`bench: ${r.value.rejected} rejected: ${r.value.errorMessage}`);
    items += r.value.accepted;
  }
  return { items, ms: performance.now() - t0 };
}

const spanBodies = Array.from({ length: REQUESTS }, (_, i) => spanRequest(i * 32));
const metricBodies = Array.from({ length: REQUESTS }, (_, i) => metricRequest(i));
const results: { round: number; spansPerSec: number; pointsPerSec: number; ratio: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const spans = ingestPipeline({ store: new CountingStore(), sessions: { idleTimeoutMs: 5_000, maxBufferBytes: 8 * 1024 ** 3 } });
  const s = await drive(spans.handler, spanBodies);
  spans.buffer.sweep();
  const metrics = metricsPipeline();
  const m = await drive(metrics.handler, metricBodies);
  if (metrics.rows() !== m.items) throw new Error(`bench: ${metrics.rows()} rows for ${m.items} points`);
  const spansPerSec = (s.items / s.ms) * 1000;
  const pointsPerSec = (m.items / m.ms) * 1000;
  results.push({ round, spansPerSec: Math.round(spansPerSec), pointsPerSec: Math.round(pointsPerSec), ratio: Number((pointsPerSec / spansPerSec).toFixed(2)) });
}
const table = new Table({ head: ['round', 'spans/s (trace path)', 'points/s (metrics path)', 'points / spans'] });
for (const r of results) table.push([r.round, r.spansPerSec, r.pointsPerSec, r.ratio]);
console.log(table.toString());
console.log(JSON.stringify({ bench: 'metrics-ingest', requests: REQUESTS, itemsPerRequest: 4 * PER_KIND, bodyBytes: metricBodies[0]!.byteLength, results }));
