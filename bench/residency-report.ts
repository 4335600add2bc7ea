/**
 * Residency report latency: `queryResidency` (GET /api/v1/residency, `agenttail residency`) for one tenant over 30
 * days of hourly rollups in four regions behind four endpoints, on the embedded engine. Baseline in the same run: a
 * bare `count()` of that tenant's rows. Goal (issue 16): < 100 ms. Run: `npx tsx bench/residency-report.ts [tenants] [rows per tenant-hour]`.
 */
import Table from 'cli-table3';
import { queryResidency } from '../src/store/read/residency.js';
import { residencySchema } from '../src/config/residency.js';
import { ResidencyRules } from '../src/sampling/basis/residency-check.js';
import { HOURS, openHourlyRollups, timeRuns } from './support/hourly-rollups.js';

const TENANTS = Number(process.argv[2] ?? 20);
const COMBOS = Number(process.argv[3] ?? 60);
const RUNS = 30;

const { client, inserted, startMs, close } = await openHourlyRollups(TENANTS, COMBOS);
try {
  const rules = new ResidencyRules(residencySchema.parse({ tenants: { 'tenant-3': { allowedRegions: ['eu-*', 'europe-*'] } } }));
  const p = { fromMs: startMs, toMs: Date.now() + 3_600_000, tenant: 'tenant-3' };
  const baseline = await timeRuns(RUNS, async () => (await client.query({ query: "SELECT count() FROM agenttail.usage_hourly WHERE TenantId = 'tenant-3'", format: 'JSONEachRow' })).json());
  const one = await timeRuns(RUNS, () => queryResidency(client, 'agenttail', rules, p));
  const all = await timeRuns(RUNS, () => queryResidency(client, 'agenttail', rules, { ...p, tenant: null }));
  const report = await queryResidency(client, 'agenttail', rules, p);

  const table = new Table({ head: ['query (30 days)', 'p50 ms', 'p95 ms', 'vs count()'] });
  table.push(['count() baseline (one tenant)', baseline.p50.toFixed(1), baseline.p95.toFixed(1), '1.00']);
  table.push(['residency, one tenant', one.p50.toFixed(1), one.p95.toFixed(1), (one.p50 / baseline.p50).toFixed(2)]);
  table.push([`residency, all ${TENANTS} tenants`, all.p50.toFixed(1), all.p95.toFixed(1), (all.p50 / baseline.p50).toFixed(2)]);
  console.log(`${inserted} rollup rows (${TENANTS} tenants × ${HOURS} hours × ${COMBOS}); one tenant's report: ${report.rows.length} rows, ${report.totals.violation.calls} calls in violation`);
  console.log(table.toString());
  console.log(JSON.stringify({ rowsInTable: inserted, baseline, oneTenant: one, allTenants: all, goalMet: one.p50 < 100 && one.p95 < 100 }));
} finally {
  await close();
}
