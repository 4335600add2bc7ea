import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residencySchema } from '../../src/config/residency.js';
import { endpointOf, NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import { queryResidency } from '../../src/store/read/residency.js';
import { silentLogger } from '../../src/log.js';
import { ResidencyRules } from '../../src/sampling/basis/residency-check.js';
import { costUnits, decimalUnits, unitsCell } from '../../src/store/cell-format.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { runMigrations } from '../../src/store/migrations.js';
import { randomSession, seeded } from './store-fixtures.js';

type Conn = NonNullable<Parameters<typeof createClient>[0]>['connection'];

let dir: string;
let client: ClickHouseClient;
const log = silentLogger();
const BASE_NS = BigInt(Date.now() - 3 * 3_600_000) * 1_000_000n;
const retry = { initialMs: 1, maxMs: 5, maxAttempts: 5 };
const ROUTES = [
  { host: 'eu.api.openai.com', region: 'eu' },
  { host: 'api.openai.com', region: 'global' },
  { host: 'bedrock-runtime.us-east-1.amazonaws.com', region: 'us-east-1' },
  { host: 'europe-west4-aiplatform.googleapis.com', region: 'europe-west4' },
  { host: '', region: 'unknown' },
];

async function rows<T>(query: string): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agt-store-providers-'));
  client = createClient({ connection: createChdbConnection({ path: dir }) as unknown as Conn });
  await runMigrations({ client, database: 'agenttail', log });
});

afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Expected {
  calls: number;
  input: number;
  units: bigint;
}

describe('usage_hourly by region and endpoint', () => {
  it('sums exactly what was sent per region and endpoint, kept and dropped sessions alike, and keeps them apart through merges', async () => {
    const store = new ClickHouseStore({ client, database: 'agenttail', retry, log, registry: new Registry(), batchRows: 7 });
    const rand = seeded(16);
    const expected = new Map<string, Expected>();
    const writes = [];
    for (let i = 0; i < 60; i++) {
      const s = randomSession({ tenantId: 'acme', rand, kept: rand() < 0.2, baseNs: BASE_NS });
      for (const span of s.write.spans) {
        if (span.usageRole !== 'call') continue;
        const r = ROUTES[Math.floor(rand() * ROUTES.length)]!;
        span.call = { ...NO_PROVIDER_CALL, serverAddress: r.host, serverPort: r.host === '' ? 0 : 443, region: r.region };
        const key = `${r.region}|${endpointOf(span.call)}`;
        const e = expected.get(key) ?? { calls: 0, input: 0, units: 0n };
        e.calls += 1;
        e.input += span.usage!.inputTokens;
        e.units += span.cost.costUsd === null ? 0n : costUnits(span.cost.costUsd);
        expected.set(key, e);
      }
      writes.push(s.write);
    }
    for (const w of writes) expect(store.write(w).status).toBe('ok');
    await store.forceFlush();
    const got = await rows<{ region: string; endpoint: string; calls: string; input: string; cost: string }>(
      `SELECT Region region, Endpoint endpoint, sum(Calls) calls, sum(InputTokens) input, toString(sum(CostUsd)) cost
       FROM agenttail.usage_hourly WHERE TenantId = 'acme' GROUP BY region, endpoint ORDER BY region, endpoint`,
    );
    const actual = new Map(got.map((r) => [`${r.region}|${r.endpoint}`, { calls: Number(r.calls), input: Number(r.input), units: decimalUnits(r.cost)! }]));
    expect(actual).toEqual(expected);
    await client.command({ query: 'OPTIMIZE TABLE agenttail.usage_hourly FINAL' });
    const merged = await rows<{ n: string }>(`SELECT uniqExact(Region, Endpoint) n FROM agenttail.usage_hourly WHERE TenantId = 'acme'`);
    // Merging keeps every region/endpoint apart (both are in the SummingMergeTree key).
    expect(Number(merged[0]!.n)).toBe(expected.size);

    const report = await queryResidency(client, 'agenttail', new ResidencyRules(residencySchema.parse({ tenants: { acme: { allowedRegions: ['eu', 'europe-*'] } } })), {
      fromMs: 0,
      toMs: Date.now() + 3_600_000,
      tenant: 'acme',
    });
    expect(report.rows.map((r) => r.status)).toEqual([...report.rows.map((r) => r.status)].sort((a, b) => ['violation', 'unknown', 'ok'].indexOf(a) - ['violation', 'unknown', 'ok'].indexOf(b)));
    const violation = [...expected].filter(([k]) => k.startsWith('global|') || k.startsWith('us-east-1|'));
    expect(report.totals.violation).toEqual({ calls: violation.reduce((a, [, e]) => a + e.calls, 0), costUsd: unitsCell(violation.reduce((a, [, e]) => a + e.units, 0n)) });
    expect(report.totals.unknown.calls).toBe(expected.get('unknown|')?.calls ?? 0);
  });
});

describe('provider_minutely', () => {
  it('counts calls, HTTP attempts, refusals by kind, retry-after and TTFT of every session', async () => {
    const store = new ClickHouseStore({ client, database: 'agenttail', retry, log, registry: new Registry() });
    const rand = seeded(17);
    const s = randomSession({ tenantId: 'globex', rand, kept: false, baseNs: BASE_NS });
    const calls = s.write.spans.filter((x) => x.usageRole === 'call');
    const first = calls[0]!;
    first.call = { ...NO_PROVIDER_CALL, serverAddress: 'api.openai.com', region: 'global', ttftMs: 250.5 };
    const http = (id: string, status: number, refusal: NormalizedSpan['call']['refusal'], retryAfterMs: number | null): NormalizedSpan => ({
      ...first,
      spanId: id,
      parentSpanId: first.spanId,
      name: 'POST',
      usage: null,
      usageRole: 'none',
      genai: { ...first.genai, operation: null },
      call: { ...NO_PROVIDER_CALL, serverAddress: 'api.openai.com', region: 'global', hostProvider: 'openai', httpStatus: status, refusal, retryAfterMs },
    });
    s.write.spans.push(http('1'.repeat(16), 429, 'rate_limited', 2000), http('2'.repeat(16), 529, 'overloaded', null), http('3'.repeat(16), 200, null, null));
    // A refused call without usage still counts as a call (and as one refused attempt).
    s.write.spans.push({ ...first, spanId: '4'.repeat(16), usage: null, usageRole: 'none', call: { ...NO_PROVIDER_CALL, region: 'global', refusal: 'server_error', httpStatus: null } });
    expect(store.write(s.write).status).toBe('ok');
    await store.forceFlush();
    const [t] = await rows<Record<string, string>>(
      `SELECT sum(Calls) calls, sum(Attempts) attempts, sum(Refusals) refusals, sum(RateLimited) rl, sum(Overloaded) ov, sum(ServerErrors) se,
         sum(RetryAfterCount) rac, sum(RetryAfterSumMs) ras, sum(InputTokens) input, sum(TtftCount) tc, sum(TtftSumUs) ts
       FROM agenttail.provider_minutely WHERE TenantId = 'globex'`,
    );
    const input = calls.reduce((a, c) => a + c.usage!.inputTokens, 0);
    expect(Object.fromEntries(Object.entries(t!).map(([k, v]) => [k, Number(v)]))).toEqual({
      calls: calls.length + 1,
      attempts: calls.length - 1 + 3 + 1,
      refusals: 3,
      rl: 1,
      ov: 1,
      se: 1,
      rac: 1,
      ras: 2000,
      input,
      tc: 1,
      ts: 250_500,
    });
  });
});
