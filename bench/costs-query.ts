/**
 * Finance query latency: `queryCosts` (GET /api/v1/costs) for one tenant over 30 days of hourly rollups, on the
 * embedded engine. Baseline in the same run: a bare `count()` of that tenant's rows (the floor of any scan).
 * Goal (issue 4): < 100 ms. Run: `npx tsx bench/costs-query.ts [tenants] [models×agents×services per hour]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import Table from 'cli-table3';
import { queryCosts } from '../src/api/costs-route.js';
import { silentLogger } from '../src/log.js';
import { runMigrations } from '../src/store/migrations.js';

const TENANTS = Number(process.argv[2] ?? 20);
const COMBOS = Number(process.argv[3] ?? 60); // rows per tenant per hour
const HOURS = 30 * 24;
const RUNS = 30;

const dir = mkdtempSync(join(tmpdir(), 'agt-bench-costs-'));
// chdb's connection type trails @clickhouse/client's by a minor version (same shape at run time), as in src/store/store-client.ts.
type Connection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const client = createClient({ connection: createChdbConnection({ path: dir }) as unknown as Connection });
try {
  await runMigrations({ client, database: 'agenttail', log: silentLogger() });
  const startMs = Date.now() - HOURS * 3_600_000;
  const rows: string[] = [];
  let inserted = 0;
  const flush = async (): Promise<void> => {
    if (rows.length === 0) return;
    await client.exec({ query: `INSERT INTO agenttail.usage_hourly FORMAT JSONEachRow\n${rows.join('\n')}` });
    inserted += rows.length;
    rows.length = 0;
  };
  for (let t = 0; t < TENANTS; t++) {
    for (let h = 0; h < HOURS; h++) {
      const hour = new Date(startMs + h * 3_600_000).toISOString().slice(0, 13).replace('T', ' ') + ':00:00';
      for (let k = 0; k < COMBOS; k++) {
        rows.push(
          JSON.stringify({
            TenantId: `tenant-${t}`, Hour: hour, ServiceName: `svc-${k % 5}`, AgentName: `agent-${k % 4}`, Provider: k % 2 ? 'openai' : 'anthropic',
            Model: `model-${k % 3}`, Calls: 10, InputTokens: 12_000, OutputTokens: 900, CacheReadTokens: 6_000, CacheWriteTokens: 100,
            ReasoningTokens: 0, CostUsd: '0.012345678901', UnpricedCalls: 0, Sessions: 2,
          }),
        );
      }
      if (rows.length >= 50_000) await flush();
    }
  }
  await flush();
  await client.command({ query: 'OPTIMIZE TABLE agenttail.usage_hourly FINAL' });

  const time = async (fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    return { p50: ms[Math.floor(RUNS * 0.5)]!, p95: ms[Math.floor(RUNS * 0.95)]! };
  };
  const p = { fromMs: startMs, toMs: Date.now() + 3_600_000, tenant: 'tenant-3' };
  const baseline = await time(async () => (await client.query({ query: "SELECT count() FROM agenttail.usage_hourly WHERE TenantId = 'tenant-3'", format: 'JSONEachRow' })).json());
  const byTenant = await time(() => queryCosts(client, 'agenttail', { ...p, groupBy: ['tenant'] }));
  const byModelDay = await time(() => queryCosts(client, 'agenttail', { ...p, groupBy: ['day', 'model', 'agent'] }));

  const table = new Table({ head: ['query (one tenant, 30 days)', 'p50 ms', 'p95 ms', 'vs count()'] });
  const results = { rowsInTable: inserted, baseline, byTenant, byModelDay };
  table.push(['count() baseline', baseline.p50.toFixed(1), baseline.p95.toFixed(1), '1.00']);
  table.push(['costs groupBy=tenant', byTenant.p50.toFixed(1), byTenant.p95.toFixed(1), (byTenant.p50 / baseline.p50).toFixed(2)]);
  table.push(['costs groupBy=day,model,agent', byModelDay.p50.toFixed(1), byModelDay.p95.toFixed(1), (byModelDay.p50 / baseline.p50).toFixed(2)]);
  console.log(`${inserted} rollup rows (${TENANTS} tenants × ${HOURS} hours × ${COMBOS})`);
  console.log(table.toString());
  console.log(JSON.stringify(results));
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
