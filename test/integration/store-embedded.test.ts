import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { clusterCreateDatabase, toClusterStatements } from '../../src/store/cluster-ddl.js';
import { defaultSchemaDir, loadMigrations, runMigrations } from '../../src/store/migrations.js';
import { useTestEngine } from '../support/test-engine.js';
import { randomSession, recentBaseNs, seeded, TEST_STORE_RETRY } from './store-fixtures.js';

const engine = useTestEngine('agt-store-');
const rows = <T>(query: string): Promise<T[]> => engine.rows<T>(query);
const log = silentLogger();
const BASE_NS = recentBaseNs();
const retry = TEST_STORE_RETRY;

async function totals(tenant: string): Promise<Record<string, string | number>> {
  const [u] = await rows<Record<string, string | number>>(
    `SELECT sum(Calls) calls, sum(InputTokens) input, sum(OutputTokens) output, sum(CacheReadTokens) cr, sum(CacheWriteTokens) cw,
       sum(ReasoningTokens) rs, toString(sum(CostUsd)) cost, sum(UnpricedCalls) unpriced, sum(Sessions) sessions
     FROM agenttail.usage_hourly WHERE TenantId = '${tenant}'`,
  );
  return u!;
}

describe('runMigrations', () => {
  describe('on the embedded engine', () => {
    it('records every migration once and skips them on a second run', async () => {
      const again = await runMigrations({ client: engine.client, database: 'agenttail', log });
      const files = await loadMigrations(defaultSchemaDir, 'agenttail');
      expect(again.applied).toEqual([]);
      expect(again.skipped).toEqual(files.map((f) => f.name));
      const recorded = await rows<{ c: string }>('SELECT count() c FROM agenttail.schema_migrations FINAL');
      expect(Number(recorded[0]!.c)).toBe(files.length);
    });

    it('applies every statement of every migration a second time cleanly', async () => {
      for (const m of await loadMigrations(defaultSchemaDir, 'agenttail')) {
        for (const statement of m.statements) await expect(engine.client.command({ query: statement })).resolves.toBeDefined();
      }
      const tables = await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = 'agenttail' ORDER BY name");
      expect(tables.map((t) => t.name)).toEqual(['dead_letter', 'decisions', 'evals', 'logs', 'otel_metrics_exponential_histogram', 'otel_metrics_gauge', 'otel_metrics_histogram', 'otel_metrics_sum', 'otel_metrics_summary', 'provider_minutely', 'reprice_runs', 'schema_migrations', 'session_ts', 'sessions', 'spans', 'trace_ts', 'usage_hourly']);
      // 006: reprice corrections need a signed UnpricedCalls and the ReportedCalls column.
      const cols = await rows<{ name: string; type: string }>(
        "SELECT name, type FROM system.columns WHERE database = 'agenttail' AND table = 'usage_hourly' AND name IN ('UnpricedCalls', 'ReportedCalls') ORDER BY name",
      );
      expect(cols).toEqual([{ name: 'ReportedCalls', type: 'UInt64' }, { name: 'UnpricedCalls', type: 'Int64' }]);
    });

    it('creates another database named in the config', async () => {
      const report = await runMigrations({ client: engine.client, database: 'agt_other', log });
      expect(report.applied.length).toBeGreaterThan(0);
      const t = await rows<{ c: string }>("SELECT count() c FROM system.tables WHERE database = 'agt_other'");
      expect(Number(t[0]!.c)).toBe(17);
    });

    it('refuses a database name that is not an identifier', async () => {
      await expect(runMigrations({ client: engine.client, database: 'x; DROP', log })).rejects.toMatchObject({ code: 'AGT_ERR_CONFIG_INVALID' });
    });
  });

  describe('cluster variant', () => {
    it('derives a parsing ON CLUSTER statement pair (Replicated local + Distributed) for every single-node table', async () => {
      const migrations = await loadMigrations(defaultSchemaDir, 'agenttail', { cluster: true });
      const statements = [clusterCreateDatabase('agenttail'), ...migrations.flatMap((m) => m.statements)];
      // 16 tables × (local + Distributed), 8 ALTERs × (local + Distributed), CREATE DATABASE.
      expect(statements.length).toBe(49);
      for (const s of statements) {
        expect(s).toContain("ON CLUSTER '{cluster}'");
        expect(s).not.toContain('non_replicated_deduplication_window');
        const [f] = await rows<{ f: string }>(`SELECT formatQuery('${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}') AS f`);
        expect(f!.f).toMatch(/^(CREATE (TABLE|DATABASE) IF NOT EXISTS|ALTER TABLE) agenttail/);
      }
      expect(statements.filter((s) => /ENGINE = Distributed\('\{cluster\}', 'agenttail', '\w+_local', cityHash64\(TenantId/.test(s))).toHaveLength(14);
      expect(statements.filter((s) => /ENGINE = Distributed\('\{cluster\}', 'agenttail', 'reprice_runs_local', cityHash64\(RunId\)\)/.test(s))).toHaveLength(1);
      expect(statements.filter((s) => /ENGINE = Distributed\('\{cluster\}', 'agenttail', 'dead_letter_local', cityHash64\(BatchId\)\)/.test(s))).toHaveLength(1);
      expect(statements.filter((s) => /ENGINE = Replicated\w*MergeTree/.test(s))).toHaveLength(16);
      // A metric point delivered twice meets its copy on one shard, where ReplacingMergeTree collapses them.
      expect(statements.filter((s) => /ENGINE = ReplicatedReplacingMergeTree/.test(s) && s.includes('otel_metrics_'))).toHaveLength(5);
      const alters = statements.filter((s) => s.startsWith('ALTER TABLE'));
      expect(alters.map((s) => s.slice(0, s.indexOf(" ON CLUSTER")))).toEqual([
        'ALTER TABLE agenttail.usage_hourly_local',
        'ALTER TABLE agenttail.usage_hourly',
        'ALTER TABLE agenttail.usage_hourly_local',
        'ALTER TABLE agenttail.usage_hourly',
        'ALTER TABLE agenttail.usage_hourly_local',
        'ALTER TABLE agenttail.usage_hourly',
        'ALTER TABLE agenttail.sessions_local',
        'ALTER TABLE agenttail.sessions',
        'ALTER TABLE agenttail.spans_local',
        'ALTER TABLE agenttail.spans',
        'ALTER TABLE agenttail.sessions_local',
        'ALTER TABLE agenttail.sessions',
        'ALTER TABLE agenttail.spans_local',
        'ALTER TABLE agenttail.spans',
        'ALTER TABLE agenttail.spans_local',
        'ALTER TABLE agenttail.spans',
      ]);
      // Migration 008 extends the sorting key: only the local table has one (a Distributed table takes the columns).
      const keyChanges = alters.filter((s) => s.includes('MODIFY ORDER BY'));
      expect(keyChanges.map((s) => s.slice(0, s.indexOf(' ON CLUSTER')))).toEqual(['ALTER TABLE agenttail.usage_hourly_local']);
      expect(alters.filter((s) => s.startsWith('ALTER TABLE agenttail.usage_hourly ') && s.includes('RawModel'))).toHaveLength(1);
      expect(statements.some((s) => s.includes('ENGINE = ReplicatedReplacingMergeTree(Version)'))).toBe(true);
    });

    it('refuses a table without a sharding key', () => {
      expect(() => toClusterStatements(['CREATE TABLE IF NOT EXISTS agenttail.mystery (a UInt8) ENGINE = MergeTree ORDER BY a'])).toThrow(/SHARD_KEYS/);
      expect(() => toClusterStatements(['ALTER TABLE agenttail.mystery ADD COLUMN b UInt8'])).toThrow(/SHARD_KEYS/);
      expect(() => toClusterStatements(['DROP TABLE agenttail.spans'])).toThrow(/CREATE TABLE and ALTER TABLE/);
    });
  });
});

describe('ClickHouseStore', () => {
  describe('write', () => {
    it('stores a kept session as spans with the OTel exporter columns', async () => {
      const store = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log, registry: new Registry() });
      const s = randomSession({ tenantId: 't-kept', rand: seeded(1), kept: true, baseNs: BASE_NS });
      expect(store.write(s.write).status).toBe('ok');
      await store.forceFlush();
      const spans = await rows<Record<string, unknown>>(
        "SELECT *, toString(Timestamp) ts, toUnixTimestamp64Nano(Timestamp) tsns, toString(CostUsd) cost FROM agenttail.spans WHERE TenantId = 't-kept' ORDER BY Timestamp, SpanName DESC",
      );
      expect(spans).toHaveLength(s.write.spans.length);
      const root = spans.find((r) => r.ParentSpanId === '')!;
      const src = s.write.spans[0]!;
      expect(root).toMatchObject({
        TraceId: src.traceId,
        SpanId: src.spanId,
        SpanName: 'invoke_agent triage',
        SpanKind: 'SPAN_KIND_INTERNAL',
        ServiceName: 'support-bot',
        StatusCode: 'STATUS_CODE_ERROR',
        StatusMessage: 'tool failed',
        SessionId: s.write.summary.sessionId,
        GenAiOperation: 'invoke_agent',
        GenAiAgent: 'triage',
        UsageRole: 'aggregate',
        CostUsd: null,
        'Links.TraceId': ['f'.repeat(32)],
        'Links.TraceState': ['k=v'],
        'Links.Attributes': [{ why: 'retry' }],
        SamplingReasons: ['error'],
      });
      expect(String(root.tsns)).toBe(src.startTimeUnixNano.toString());
      expect(Number(root.Duration)).toBe(Number(src.endTimeUnixNano - src.startTimeUnixNano));
      const call = spans.find((r) => r.UsageRole === 'call' && r.cost !== null && r.cost !== '\\N')!;
      const srcCall = s.write.spans.find((x) => x.spanId === call.SpanId)!;
      expect(call).toMatchObject({
        SpanKind: 'SPAN_KIND_CLIENT',
        StatusCode: 'STATUS_CODE_UNSET',
        GenAiProvider: 'openai',
        GenAiModel: srcCall.genai.requestModel,
        ResourceAttributes: { 'service.name': 'support-bot', 'deployment.environment': 'test' },
        SpanAttributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.temperature': '0.2', 'llm.flags': '[true,false]' },
        'Events.Name': ['gen_ai.content.prompt'],
        'Events.Attributes': [{ 'gen_ai.prompt': 'hi' }],
        PriceVersion: '2026-11-01',
      });
      expect(Number(call.InputTokens)).toBe(srcCall.usage!.inputTokens);
      expect(Math.abs(Number(call.cost) - srcCall.cost.costUsd!)).toBeLessThan(1e-12);
      const lookups = await rows<{ n: string }>(
        `SELECT toString(toUnixTimestamp64Nano(min(Start))) n FROM agenttail.session_ts WHERE SessionId = '${s.write.summary.sessionId}'
         UNION ALL SELECT toString(toUnixTimestamp64Nano(max(End))) FROM agenttail.trace_ts WHERE TraceId = '${src.traceId}'`,
      );
      expect(lookups.map((l) => l.n).sort()).toEqual([s.write.summary.startTimeUnixNano.toString(), s.write.summary.endTimeUnixNano.toString()].sort());
      await store.forceFlush();
    });

    it('stores a dropped session as a session row and rollups only', async () => {
      const store = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log });
      const s = randomSession({ tenantId: 't-drop', rand: seeded(2), kept: false, baseNs: BASE_NS });
      store.write(s.write);
      await store.forceFlush();
      const [counts] = await rows<Record<string, number>>(
        `SELECT (SELECT count() FROM agenttail.spans WHERE TenantId = 't-drop') spans,
                (SELECT count() FROM agenttail.session_ts WHERE TenantId = 't-drop') lookups,
                (SELECT count() FROM agenttail.sessions FINAL WHERE TenantId = 't-drop' AND NOT Kept) sessions`,
      );
      expect(counts).toEqual({ spans: 0, lookups: 0, sessions: 1 });
      const u = await totals('t-drop');
      expect(Number(u.calls)).toBe(s.calls);
      expect(Number(u.input)).toBe(s.usage.inputTokens);
      expect(Number(u.sessions)).toBe(1);
    });

    it('keeps the highest version of a session row under FINAL', async () => {
      const store = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log });
      const s = randomSession({ tenantId: 't-ver', rand: seeded(3), kept: false, baseNs: BASE_NS });
      store.write(s.write);
      await store.forceFlush();
      store.write({ ...s.write, version: 2, decision: { ...s.write.decision, kept: true, reasons: ['upgrade:low_eval'], trigger: 'upgrade' }, countUsage: false });
      await store.forceFlush();
      const r = await rows<{ Kept: boolean; Version: number; Reasons: string[] }>("SELECT Kept, Version, Reasons FROM agenttail.sessions FINAL WHERE TenantId = 't-ver'");
      expect(r).toEqual([{ Kept: true, Version: 2, Reasons: ['upgrade:low_eval'] }]);
      expect(Number((await totals('t-ver')).calls)).toBe(s.calls);
    });
  });

  describe('totals', () => {
    it('matches the sent tokens and cost to 1e-9 over random sessions, in usage_hourly and sessions', async () => {
      const store = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log, batchRows: 37 });
      const rand = seeded(42);
      const want = { input: 0, output: 0, cr: 0, cw: 0, rs: 0, calls: 0, cost: 0 };
      const n = 300;
      for (let i = 0; i < n; i++) {
        const s = randomSession({ tenantId: 't-sum', rand, kept: rand() < 0.3, baseNs: BASE_NS });
        expect(store.write(s.write).status).toBe('ok');
        want.input += s.usage.inputTokens;
        want.output += s.usage.outputTokens;
        want.cr += s.usage.cacheReadTokens;
        want.cw += s.usage.cacheWriteTokens;
        want.rs += s.usage.reasoningTokens;
        want.calls += s.calls;
        want.cost += s.costUsd;
      }
      await store.forceFlush();
      const u = await totals('t-sum');
      expect(Number(u.input)).toBe(want.input);
      expect(Number(u.output)).toBe(want.output);
      expect(Number(u.cr)).toBe(want.cr);
      expect(Number(u.cw)).toBe(want.cw);
      expect(Number(u.rs)).toBe(want.rs);
      expect(Number(u.calls)).toBe(want.calls);
      expect(Number(u.sessions)).toBe(n);
      expect(Math.abs(Number(u.cost) - want.cost)).toBeLessThan(1e-9);
      const [s] = await rows<{ cost: string; input: string; n: string }>(
        "SELECT toString(sum(CostUsd)) cost, sum(InputTokens) input, count() n FROM agenttail.sessions FINAL WHERE TenantId = 't-sum'",
      );
      expect(Number(s!.n)).toBe(n);
      expect(Number(s!.input)).toBe(want.input);
      expect(Math.abs(Number(s!.cost) - want.cost)).toBeLessThan(1e-9);
    });

    it('does not change when the same batches are retried or replayed', async () => {
      const rand = seeded(7);
      const sessions = Array.from({ length: 20 }, () => randomSession({ tenantId: 't-replay', rand, kept: true, baseNs: BASE_NS }));
      // A client whose first insert per table succeeds on the server but reports a network failure
      // (outcome unknown), so the store retries the same batch with the same token.
      const failedOnce = new Set<string>();
      const flaky = new Proxy(engine.client, {
        get(target, prop, receiver) {
          if (prop !== 'exec') return Reflect.get(target, prop, receiver) as unknown;
          return async (params: Parameters<ClickHouseClient['exec']>[0]) => {
            const res = await target.exec(params);
            if (!failedOnce.has(params.query)) {
              failedOnce.add(params.query);
              throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
            }
            return res;
          };
        },
      });
      const registry = new Registry();
      const ids: string[] = [];
      const first = new ClickHouseStore({ client: flaky, database: 'agenttail', retry, log, registry, onBatchWritten: (i) => ids.push(i.batchId) });
      for (const s of sessions) first.write(s.write);
      await first.forceFlush();
      const retried = await registry.getSingleMetricAsString('agenttail_store_inserts_retried_total');
      expect(retried).toMatch(/table="usage_hourly"} 1/);
      const before = await totals('t-replay');
      const spansBefore = await rows<{ c: string }>("SELECT count() c FROM agenttail.spans WHERE TenantId = 't-replay'");
      // Replay: a fresh writer (after a restart) given the same writes forms the same batches.
      const replayIds: string[] = [];
      const second = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log, onBatchWritten: (i) => replayIds.push(i.batchId) });
      for (const s of sessions) second.write(s.write);
      await second.forceFlush();
      expect(replayIds.sort()).toEqual(ids.sort());
      expect(await totals('t-replay')).toEqual(before);
      expect(Number(before.sessions)).toBe(20);
      expect(await rows<{ c: string }>("SELECT count() c FROM agenttail.spans WHERE TenantId = 't-replay'")).toEqual(spansBefore);
      expect(Number(spansBefore[0]!.c)).toBe(sessions.reduce((a, s) => a + s.write.spans.length, 0));
    });
  });

  describe('writeEvals', () => {
    it('stores every eval with its target and source', async () => {
      const store = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log });
      const out = store.writeEvals('t-eval', [
        { name: 'helpfulness', score: 0.25, label: 'bad', explanation: 'off topic', target: { sessionId: 's1', traceId: null, spanId: null }, source: 'api', timeUnixNano: 1_763_800_000_000_000_001n },
        { name: 'toxicity', score: null, label: 'clean', explanation: null, target: { sessionId: null, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, source: 'event', timeUnixNano: 1_763_800_000_000_000_002n },
      ]);
      expect(out.status).toBe('ok');
      await store.forceFlush();
      const r = await rows<Record<string, unknown>>("SELECT SessionId, TraceId, SpanId, Name, Score, Label, Source FROM agenttail.evals WHERE TenantId = 't-eval' ORDER BY Timestamp");
      expect(r).toEqual([
        { SessionId: 's1', TraceId: '', SpanId: '', Name: 'helpfulness', Score: 0.25, Label: 'bad', Source: 'api' },
        { SessionId: '', TraceId: 'a'.repeat(32), SpanId: 'b'.repeat(16), Name: 'toxicity', Score: null, Label: 'clean', Source: 'event' },
      ]);
    });
  });
});
