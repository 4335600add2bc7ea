/**
 * Issue 12.1, defence in depth: a row the engine refuses (here a span with -5 input tokens that bypassed
 * normalization: "Unsigned type must not contain '-'") used to drop its whole batch, other tenants' rows with it.
 * Now the batch is split, the rows not at fault are inserted, the refused rows are parked in dead_letter and
 * counted, and sending the same batches again duplicates nothing.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ok } from '../../src/model/outcome.js';
import type { SessionWrite } from '../../src/model/session.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import type { Journal } from '../../src/durability/journal.js';
import type { ReplayIntent } from '../../src/durability/replay.js';
import { useTestEngine } from '../support/test-engine.js';
import { randomSession, recentBaseNs, seeded, TEST_STORE_RETRY } from './store-fixtures.js';

const engine = useTestEngine('agt-refused-');
const rows = <T>(query: string): Promise<T[]> => engine.rows<T>(query);
const log = silentLogger();
const BASE_NS = recentBaseNs();
const retry = TEST_STORE_RETRY;

async function metric(registry: Registry, name: string, labels: string): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** Sessions of `victim` with one session of `attacker` among them whose call span has -5 input tokens (alone in its rollup row). */
function poisoned(seed: number, victim: string, attacker: string, count: number) {
  const rand = seeded(seed);
  const victims = Array.from({ length: count }, () => randomSession({ tenantId: victim, rand, kept: true, baseNs: BASE_NS }));
  const poison = randomSession({ tenantId: attacker, rand, kept: true, baseNs: BASE_NS });
  const bad = poison.write.spans[1]!;
  poison.write.spans = [poison.write.spans[0]!, { ...bad, usage: { ...bad.usage!, inputTokens: -5, cacheReadTokens: 0 }, genai: { ...bad.genai, requestModel: 'poison-model' } }];
  poison.write.summary.spanCount = 2;
  const half = count >>> 1;
  const writes: SessionWrite[] = [...victims.slice(0, half).map((v) => v.write), poison.write, ...victims.slice(half).map((v) => v.write)];
  const sentSpans = victims.reduce((n, v) => n + v.write.spans.length, 0);
  const sent = { input: victims.reduce((n, v) => n + v.usage.inputTokens, 0), calls: victims.reduce((n, v) => n + v.calls, 0) };
  return { poison, bad, writes, sentSpans, sent };
}

describe('a batch with one row the engine refuses', () => {
  const { poison, bad, writes, sentSpans, sent } = poisoned(12, 'victim', 'attacker', 30);
  const registry = new Registry();
  const batches: { table: string; rows: number }[] = [];

  beforeAll(async () => {
    const store = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log, registry, onBatchWritten: (i) => batches.push(i) });
    for (const w of writes) expect(store.write(w).status).toBe('ok');
    await store.forceFlush();
  });

  it('inserts every row not at fault: spans, session rows and exact usage_hourly totals of the other tenant', async () => {
    const [spans] = await rows<{ n: string }>("SELECT count() n FROM agenttail.spans WHERE TenantId = 'victim'");
    expect(Number(spans!.n)).toBe(sentSpans);
    const [sessions] = await rows<{ n: string }>("SELECT count() n FROM agenttail.sessions FINAL WHERE TenantId IN ('victim', 'attacker')");
    expect(Number(sessions!.n)).toBe(31);
    const [usage] = await rows<{ i: string; c: string; s: string }>("SELECT sum(InputTokens) i, sum(Calls) c, sum(Sessions) s FROM agenttail.usage_hourly WHERE TenantId = 'victim'");
    expect(Number(usage!.i)).toBe(sent.input);
    expect(Number(usage!.c)).toBe(sent.calls);
    expect(Number(usage!.s)).toBe(30);
    // The attacker's valid root span is in; only the refused span is missing.
    const attacker = await rows<{ SpanId: string }>("SELECT SpanId FROM agenttail.spans WHERE TenantId = 'attacker'");
    expect(attacker.map((r) => r.SpanId)).toEqual([poison.write.spans[0]!.spanId]);
  });

  it('parks the refused rows whole in dead_letter with the engine error, and counts them', async () => {
    const parked = await rows<{ TargetTable: string; ErrorCode: string; Error: string; Row: string }>('SELECT TargetTable, ErrorCode, Error, Row FROM agenttail.dead_letter ORDER BY TargetTable');
    // Every table the poison reaches parks its own row: the span, and the two rollups (usage and provider minutes).
    expect(parked.map((p) => [p.TargetTable, p.ErrorCode])).toEqual([
      ['provider_minutely', '72'],
      ['spans', '72'],
      ['usage_hourly', '72'],
    ]);
    expect(parked[1]!.Error).toMatch(/Unsigned type must not contain '-'/);
    expect(JSON.parse(parked[1]!.Row)).toMatchObject({ SpanId: bad.spanId, InputTokens: -5 });
    // The rollup rows are parked whole: the attacker's usage counts nowhere in usage_hourly, never in part.
    expect(JSON.parse(parked[2]!.Row)).toMatchObject({ TenantId: 'attacker', Model: 'poison-model', InputTokens: -5, Calls: 1 });
    expect(JSON.parse(parked[0]!.Row)).toMatchObject({ TenantId: 'attacker', Model: 'poison-model', InputTokens: -5, Calls: 1 });
    expect(await rows<{ TenantId: string }>("SELECT TenantId FROM agenttail.usage_hourly WHERE TenantId = 'attacker' AND Model = 'poison-model'")).toEqual([]);
    expect(await metric(registry, 'agenttail_store_rows_parked_total', 'table="spans",code="72"')).toBe(1);
    expect(await metric(registry, 'agenttail_store_rows_parked_total', 'table="usage_hourly",code="72"')).toBe(1);
    expect(await metric(registry, 'agenttail_store_rows_dropped_total', 'table="spans"')).toBe(0);
    expect(batches.find((b) => b.table === 'spans')?.rows).toBe(sentSpans + 1);
  });

  it('duplicates nothing when the same batches are sent again (a retry, or a replay after a crash)', async () => {
    const before = await rows<Record<string, string>>(
      "SELECT (SELECT count() FROM agenttail.spans) s, (SELECT count() FROM agenttail.sessions) r, (SELECT sum(InputTokens) FROM agenttail.usage_hourly) u, (SELECT count() FROM agenttail.dead_letter) d",
    );
    const again = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log });
    for (const w of writes) again.write(w);
    await again.forceFlush();
    const after = await rows<Record<string, string>>(
      "SELECT (SELECT count() FROM agenttail.spans) s, (SELECT count() FROM agenttail.sessions) r, (SELECT sum(InputTokens) FROM agenttail.usage_hourly) u, (SELECT count() FROM agenttail.dead_letter) d",
    );
    expect(after).toEqual(before);
    expect(Number(before[0]!.d)).toBe(3);
  });
});

describe('a crash in the middle of isolating a refused batch', () => {
  it('re-sent from the log under its token, inserts the parts not yet in and duplicates none', async () => {
    const { writes, sentSpans, sent } = poisoned(21, 'victim2', 'attacker2', 12);
    const taken: ReplayIntent[] = [];
    const done: string[] = [];
    let lsn = 0;
    const journal: Journal = {
      keepsRecords: true,
      log: (r) => {
        if (r.type === 'batch') taken.push({ table: r.table, batchId: r.batchId, keys: [...r.keys] });
        if (r.type === 'written') done.push(`${r.table}:${r.batchId}`);
        return ok({ lsn: ++lsn, durable: Promise.resolve(ok()) });
      },
      readBack: () => Promise.resolve([]),
    };
    // The first writer dies after the first part of the refused spans batch is in: nothing it sends later returns.
    let spanInserts = 0;
    let dead = false;
    const dying = new Proxy(engine.client, {
      get(target, prop, receiver) {
        if (prop !== 'exec') return Reflect.get(target, prop, receiver) as unknown;
        return async (params: Parameters<ClickHouseClient['exec']>[0]) => {
          if (dead) return new Promise(() => undefined);
          const res = await target.exec(params);
          if (params.query.includes('.spans ') && ++spanInserts === 2) dead = true;
          return res;
        };
      },
    });
    const first = new ClickHouseStore({ client: dying, database: 'agenttail', retry, log, journal });
    for (const w of writes) first.write(w);
    void first.forceFlush();
    for (let i = 0; i < 200 && !dead; i++) await new Promise((r) => setTimeout(r, 20));
    expect(dead).toBe(true);
    const spansBatch = taken.find((b) => b.table === 'spans')!.batchId;
    expect(done).not.toContain(`spans:${spansBatch}`);
    const [partial] = await rows<{ n: string }>("SELECT count() n FROM agenttail.spans WHERE TenantId = 'victim2'");
    expect(Number(partial!.n)).toBeGreaterThan(0);
    expect(Number(partial!.n)).toBeLessThan(sentSpans);

    // Recovery: nothing confirmed (as if every confirmation were lost), every logged batch rebuilt from the same writes and re-sent under its token.
    const second = new ClickHouseStore({ client: engine.client, database: 'agenttail', retry, log, journal });
    second.beginReplay({ confirmed: new Map(), intents: [...taken] });
    for (const w of writes) second.write(w);
    second.endReplay();
    await second.forceFlush();

    const [spans] = await rows<{ n: string; u: string }>("SELECT count() n, uniqExact(SpanId) u FROM agenttail.spans WHERE TenantId = 'victim2'");
    expect(Number(spans!.n)).toBe(sentSpans);
    expect(Number(spans!.u)).toBe(sentSpans);
    const [usage] = await rows<{ i: string; c: string }>("SELECT sum(InputTokens) i, sum(Calls) c FROM agenttail.usage_hourly WHERE TenantId = 'victim2'");
    expect(Number(usage!.i)).toBe(sent.input);
    expect(Number(usage!.c)).toBe(sent.calls);
    const parked = await rows<{ TargetTable: string }>(`SELECT TargetTable FROM agenttail.dead_letter WHERE BatchId = '${spansBatch}'`);
    expect(parked).toEqual([{ TargetTable: 'spans' }]);
    expect(done).toContain(`spans:${spansBatch}`);
  });
});
