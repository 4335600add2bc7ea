/**
 * Finance query latency: `queryCosts` (GET /api/v1/costs) for one tenant over 30 days of hourly rollups, on the
 * embedded engine. Baseline in the same run: a bare `count()` of that tenant's rows (the floor of any scan).
 * Goal (issue 4): < 100 ms. Run: `npx tsx bench/costs-query.ts [tenants] [models×agents×services per hour]`.
 */
import Table from 'cli-table3';
import { queryCosts } from '../src/store/read/costs.js';
import { HOURS, openHourlyRollups, timeRuns } from './support/hourly-rollups.js';

const TENANTS = Number(process.argv[2] ?? 20);
const COMBOS = Number(process.argv[3] ?? 60); // rows per tenant per hour
const RUNS = 30;

const { client, inserted, startMs, close } = await openHourlyRollups(TENANTS, COMBOS);
try {
  const p = { fromMs: startMs, toMs: Date.now() + 3_600_000, tenant: 'tenant-3' };
  const baseline = await timeRuns(RUNS, async () => (await client.query({ query: "SELECT count() FROM agenttail.usage_hourly WHERE TenantId = 'tenant-3'", format: 'JSONEachRow' })).json());
  const byTenant = await timeRuns(RUNS, () => queryCosts(client, 'agenttail', { ...p, groupBy: ['tenant'] }));
  const byModelDay = await timeRuns(RUNS, () => queryCosts(client, 'agenttail', { ...p, groupBy: ['day', 'model', 'agent'] }));

  const table = new Table({ head: ['query (one tenant, 30 days)', 'p50 ms', 'p95 ms', 'vs count()'] });
  const results = { rowsInTable: inserted, baseline, byTenant, byModelDay };
  table.push(['count() baseline', baseline.p50.toFixed(1), baseline.p95.toFixed(1), '1.00']);
  table.push(['costs groupBy=tenant', byTenant.p50.toFixed(1), byTenant.p95.toFixed(1), (byTenant.p50 / baseline.p50).toFixed(2)]);
  table.push(['costs groupBy=day,model,agent', byModelDay.p50.toFixed(1), byModelDay.p95.toFixed(1), (byModelDay.p50 / baseline.p50).toFixed(2)]);
  console.log(`${inserted} rollup rows (${TENANTS} tenants × ${HOURS} hours × ${COMBOS})`);
  console.log(table.toString());
  console.log(JSON.stringify(results));
} finally {
  await close();
}
