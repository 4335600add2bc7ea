/**
 * Logs ingest per record against spans ingest per span, in one run (issue 17: logs at ≥ the spans rate per item):
 * 512-item OTLP protobuf requests through the production ExportHandler — spans via TraceRoute (decode, normalize,
 * price) into the SessionBuffer with decisions; log records via LogRoute (decode, tenant, session alias, eval event)
 * into the LogJoiner, whose traces are decided kept, so every record is built into a `logs` row. Stores only count
 * (this measures ingest, not ClickHouse). Rounds alternate spans / logs so machine noise hits both alike.
 * Traffic: spans as bench/wal-ingest.ts (~12 attributes, a 2 KiB completion on 1 in 4); records with 8 attributes,
 * the trace context of those spans, a short body, a 2 KiB message body on 1 in 4.
 * Run: npx tsx bench/logs-ingest.ts [requests per round] [rounds]
 */
import Table from 'cli-table3';
import { Registry } from 'prom-client';
import { logsSchema } from '../src/config/logs.js';
import { receiveSchema } from '../src/config/receive.js';
import { sessionPrecedence } from '../src/conventions/session.js';
import { silentLogger } from '../src/log.js';
import { LogJoiner } from '../src/logs/log-joiner.js';
import { LogDecoder, LogRoute } from '../src/logs/log-route.js';
import { ok } from '../src/model/outcome.js';
import { Authenticator } from '../src/receive/auth.js';
import { ExportHandler } from '../src/receive/export-handler.js';
import { ReceiveMetrics } from '../src/receive/metrics.js';
import { QuotaManager } from '../src/receive/quota.js';
import { DecisionCache } from '../src/sampling/decision-cache.js';
import { buildExportRequest, type FixtureSpan } from '../test/support/otlp-fixtures.js';
import { ExportLogsServiceRequestType } from '../test/support/otlp-logs-protobufjs.js';
import { summary } from '../test/unit/sampling-fixtures.js';
import { agentTrace } from './support/agent-traffic.js';
import { CountingStore } from './support/counting-store.js';
import { ingestPipeline } from './support/ingest-pipeline.js';
import { RefusalLog } from '../src/receive/refusal-log.js';

const REQUESTS = Number(process.argv[2] ?? 40);
const ROUNDS = Number(process.argv[3] ?? 3);
const ITEMS = 512;
const NOW_MS = Date.now();
const LONG_TEXT = 'The user asked about the refund policy and the assistant looked it up in the knowledge base. '.repeat(23).slice(0, 2048);
const str = (s: string) => ({ stringValue: s });

/** 512 spans: 32 sessions of 16, as wal-ingest sends. */
function spanRequest(first: number): { body: Uint8Array; traces: string[] } {
  const specs: FixtureSpan[] = [];
  for (let n = first; n < first + 32; n++) specs.push(...agentTrace(n, 16, NOW_MS));
  return { body: buildExportRequest(specs, { 'service.name': 'support-agent' }, { nowMs: NOW_MS }), traces: [...new Set(specs.map((s) => s.traceId))] };
}

/** 512 log records in the traces of one span request (16 per trace). */
function logRequest(traces: string[], first: number): Uint8Array {
  const timeUnixNano = BigInt(NOW_MS - 30_000) * 1_000_000n;
  const logRecords = Array.from({ length: ITEMS }, (_, i) => ({
    timeUnixNano: Number(timeUnixNano),
    severityNumber: 9,
    severityText: 'INFO',
    traceId: Buffer.from(traces[i % traces.length]!, 'hex'),
    spanId: Buffer.from((first * ITEMS + i + 1).toString(16).padStart(16, '0'), 'hex'),
    eventName: i % 4 === 0 ? 'gen_ai.choice' : 'app.step',
    body: str(i % 4 === 0 ? LONG_TEXT : `step ${i} done`),
    attributes: [
      ['gen_ai.operation.name', 'chat'],
      ['gen_ai.system', 'openai'],
      ['gen_ai.request.model', 'gpt-4o-mini'],
      ['session.id', `sess-${first + (i % 32)}`],
      ['user.id', `user-${i % 100}`],
      ['code.function', 'handleTurn'],
      ['thread.name', 'main'],
      ['step', String(i)],
    ].map(([key, v]) => ({ key, value: str(v!) })),
  }));
  return ExportLogsServiceRequestType.encode({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: str('support-agent') }] }, scopeLogs: [{ scope: { name: 'agent' }, logRecords }] }] }).finish();
}

const log = silentLogger();
const auth = new Authenticator({ keys: [], log });
const shared = () => ({ auth, quotas: new QuotaManager({ quota: { spansPerSecond: 0, bytesPerSecond: 0 }, tenantQuotas: {} }), metrics: new ReceiveMetrics(new Registry()), refusals: new RefusalLog({ log }), maxStringBytes: receiveSchema.parse({}).limits.maxStringBytes, log });

function logsPipeline(traces: string[]) {
  const cache = new DecisionCache({ ttlMs: 3_600_000, maxEntries: 1_000_000 });
  for (const t of traces) {
    cache.set('default', t, { decision: { kept: true, reasons: ['error'], sampleWeight: 1, trigger: 'idle', decidedAtMs: NOW_MS }, summary: summary({ sessionId: t }), version: 1 });
    cache.setTrace('default', t, t);
  }
  let rows = 0;
  const store = { writeLogs: (r: Record<string, unknown>[]) => ((rows += r.length), ok()), hasCapacity: () => true };
  const joiner = new LogJoiner({ config: logsSchema.parse({}), cache, store, evals: { acceptLoggedEvals: () => undefined }, log });
  const route = new LogRoute({ decoder: new LogDecoder({ auth, limits: receiveSchema.parse({}).limits, sessionPrecedence: sessionPrecedence(undefined) }), sink: joiner });
  return { handler: new ExportHandler({ ...shared(), route }), rows: () => rows };
}

async function drive(handler: ExportHandler, bodies: Uint8Array[]): Promise<{ items: number; ms: number }> {
  let items = 0;
  const t0 = performance.now();
  for (const body of bodies) {
    const r = await handler.handle({ credentials: {}, body, format: 'protobuf', transport: 'grpc' });
    if (r.status !== 'ok') throw new Error(`bench: refused ${r.error.code}`);
    items += r.value.accepted;
  }
  return { items, ms: performance.now() - t0 };
}

const spanReqs = Array.from({ length: REQUESTS }, (_, i) => spanRequest(i * 32));
const spanBodies = spanReqs.map((r) => r.body);
const logBodies = spanReqs.map((r, i) => logRequest(r.traces, i * 32));
const allTraces = spanReqs.flatMap((r) => r.traces);
const results: { round: number; spansPerSec: number; recordsPerSec: number; ratio: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const spans = ingestPipeline({ store: new CountingStore(), sessions: { idleTimeoutMs: 5_000, maxBufferBytes: 8 * 1024 ** 3 } });
  const s = await drive(spans.handler, spanBodies);
  spans.buffer.sweep();
  const logs = logsPipeline(allTraces);
  const l = await drive(logs.handler, logBodies);
  if (logs.rows() !== l.items) throw new Error(`bench: ${logs.rows()} rows for ${l.items} records`);
  const spansPerSec = (s.items / s.ms) * 1000;
  const recordsPerSec = (l.items / l.ms) * 1000;
  results.push({ round, spansPerSec: Math.round(spansPerSec), recordsPerSec: Math.round(recordsPerSec), ratio: Number((recordsPerSec / spansPerSec).toFixed(2)) });
}
const table = new Table({ head: ['round', 'spans/s (trace path)', 'records/s (logs path)', 'records / spans'] });
for (const r of results) table.push([r.round, r.spansPerSec, r.recordsPerSec, r.ratio]);
console.log(table.toString());
console.log(JSON.stringify({ bench: 'logs-ingest', requests: REQUESTS, itemsPerRequest: ITEMS, results }));
