/**
 * Rows of every table the store writes, built by the production row builders from data that varies what a row can
 * leave out or hold as null (provider calls or not, events and links, detectors, unpriced spans, exemplars, every
 * metric kind): the row-format tests check them against the column lists and the schema.
 */
import { NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import type { SessionWrite } from '../../src/model/session.js';
import type { OtlpLogRecord } from '../../src/otlp/log-types.js';
import type { OtlpMetricPoint } from '../../src/otlp/metric-types.js';
import { buildEvalRow } from '../../src/store/eval-row.js';
import { buildLogRow } from '../../src/store/log-row.js';
import { buildMetricRow, METRIC_TABLES } from '../../src/store/metric-rows.js';
import { ProviderRollup } from '../../src/store/provider-rollup.js';
import { sessionTableRows } from '../../src/store/session-rows.js';
import type { StoreTable } from '../../src/store/tables.js';
import { UsageRollup } from '../../src/store/usage-rollup.js';
import { randomSession, seeded } from './store-fixtures.js';

/** Kept writes of `sessions` random sessions: the root makes no provider call, the second span a located one, detectors on every other. */
export function variedWrites(baseNs: bigint, sessions = 8): SessionWrite[] {
  const out: SessionWrite[] = [];
  for (let seed = 1; seed <= sessions; seed++) {
    const s = randomSession({ tenantId: 'acme', rand: seeded(seed), kept: true, baseNs });
    const spans = s.write.spans.map((span, i) =>
      // The root (an aggregate) makes no provider call: its row leaves the provider-call columns out.
      i === 0 ? { ...span, call: NO_PROVIDER_CALL } : i === 1 ? { ...span, call: { ...span.call, serverAddress: 'api.openai.com', serverPort: 443, region: 'eu-west-1', regionSource: 'host' as const, ttftMs: 182.5, refusal: 'rate_limited' as const, retryAfterMs: 1200 } } : span,
    );
    const detectors = seed % 2 === 0 ? { fired: ['retry_storm' as const], figures: { refusals: 3, refusalsByProvider: { openai: 3 }, backoffSeconds: 4.5, cacheCollapseExtraUsd: 0.125 }, culprits: [{ spanId: spans[1]!.spanId, reason: 'retry_storm' as const }] } : undefined;
    out.push({ ...s.write, spans, storeSpans: true, decision: { ...s.write.decision, ...(detectors ? { detectors } : {}) } });
  }
  return out;
}

const resource = { attributes: { 'service.name': 'support-bot', 'deployment.environment': 'test' }, droppedAttributesCount: 0 };
const scope = { name: 'agent-meter', version: '1.2.3', attributes: { lib: 'x' } };

/** One point of each metric kind, with and without exemplars. */
function metricPoints(baseNs: bigint): OtlpMetricPoint[] {
  const base = { resource, scope, attributes: { route: 'chat' }, startTimeUnixNano: baseNs, timeUnixNano: baseNs + 1_000_000_000n, flags: 0 };
  const metric = (name: string, aggregationTemporality = 2, isMonotonic = false) => ({ name, description: `${name} description`, unit: '1', aggregationTemporality, isMonotonic });
  const exemplars = [{ filteredAttributes: { user: 'u1' }, timeUnixNano: baseNs + 10n, value: 3, spanId: 'b'.repeat(16), traceId: 'a'.repeat(32) }];
  return [
    { ...base, kind: 'sum', metric: metric('agent.requests', 2, true), value: 3, exemplars },
    { ...base, kind: 'gauge', metric: metric('agent.queue.depth', 0), startTimeUnixNano: 0n, value: 7.5, exemplars: [] },
    { ...base, kind: 'histogram', metric: metric('gen_ai.client.token.usage'), count: 3n, sum: 155, min: 5, max: 120, bucketCounts: [0n, 2n, 1n, 0n], explicitBounds: [1, 100, 1000], exemplars },
    { ...base, kind: 'exponential_histogram', metric: metric('agent.latency'), count: 2n, sum: 0.5, min: 0.2, max: 0.3, scale: 3, zeroCount: 0n, positiveOffset: -18, positiveBucketCounts: [1n, 0n, 1n], negativeOffset: 0, negativeBucketCounts: [], exemplars: [] },
    { ...base, kind: 'summary', metric: metric('agent.rpc.duration', 0), count: 4n, sum: 2.5, quantiles: [{ quantile: 0.5, value: 0.4 }, { quantile: 0.99, value: 1.2 }] },
  ];
}

/** Rows of every table the store writes (each table at least once). */
export function rowsOfEveryTable(baseNs: bigint): Map<StoreTable, Record<string, unknown>[]> {
  const out = new Map<StoreTable, Record<string, unknown>[]>();
  const add = (table: StoreTable, rows: Record<string, unknown>[]): void => void out.set(table, [...(out.get(table) ?? []), ...rows]);
  const writes = variedWrites(baseNs);
  const usage = new UsageRollup();
  const providers = new ProviderRollup();
  for (const w of writes) {
    for (const t of sessionTableRows(w)) if (t.rows !== null) add(t.table, t.rows);
    if (UsageRollup.counts(w)) usage.add(w);
    if (ProviderRollup.counts(w)) providers.add(w);
  }
  add('usage_hourly', usage.rows());
  add('provider_minutely', providers.rows());
  add('evals', [
    buildEvalRow('acme', { target: { sessionId: 's1', traceId: null, spanId: null }, name: 'faithfulness', score: 0.25, label: 'low', explanation: 'made up', source: 'api', timeUnixNano: baseNs }),
    buildEvalRow('acme', { target: { sessionId: null, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, name: 'toxicity', score: null, label: null, explanation: null, source: 'event', timeUnixNano: baseNs }),
  ]);
  const record: OtlpLogRecord = { timeUnixNano: baseNs, observedTimeUnixNano: baseNs, severityNumber: 9, severityText: 'INFO', body: 'tool call started', attributes: { 'gen_ai.tool.name': 'search' }, droppedAttributesCount: 0, flags: 1, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), eventName: '', resource, scope, wireBytes: 100 };
  add('logs', [buildLogRow('acme', record, 's1'), buildLogRow('acme', { ...record, timeUnixNano: 0n, body: { nested: [1, 'two'] }, traceId: '', spanId: '', eventName: 'gen_ai.choice' }, '')]);
  for (const p of metricPoints(baseNs)) add(METRIC_TABLES[p.kind], [buildMetricRow('acme', p)]);
  return out;
}
