/** 30 days of hourly usage_hourly rows on a fresh embedded engine, and a p50/p95 timer: the read-path benches share them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { silentLogger } from '../../src/log.js';
import { runMigrations } from '../../src/store/migrations.js';

/** Hours in the benches' period. */
export const HOURS = 30 * 24;

/** Where a combination of the generated rows ran: four regions behind four endpoints. */
const ROUTES = [
  { Region: 'eu-west-1', Endpoint: 'bedrock-runtime.eu-west-1.amazonaws.com' },
  { Region: 'us-east-1', Endpoint: 'bedrock-runtime.us-east-1.amazonaws.com' },
  { Region: 'global', Endpoint: 'api.openai.com' },
  { Region: 'europe-west4', Endpoint: 'europe-west4-aiplatform.googleapis.com' },
];

/** Opens an embedded engine in a temp dir with the schema and `tenants` × HOURS × `combos` rollup rows (merged). */
export async function openHourlyRollups(tenants: number, combos: number): Promise<{ client: ClickHouseClient; inserted: number; startMs: number; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'agt-bench-rollups-'));
  // chdb's connection type trails @clickhouse/client's by a minor version (same shape at run time), as in src/store/store-client.ts.
  type Connection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection: createChdbConnection({ path: dir }) as unknown as Connection });
  const close = async (): Promise<void> => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  };
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
    for (let t = 0; t < tenants; t++) {
      for (let h = 0; h < HOURS; h++) {
        const hour = new Date(startMs + h * 3_600_000).toISOString().slice(0, 13).replace('T', ' ') + ':00:00';
        for (let k = 0; k < combos; k++) {
          rows.push(
            JSON.stringify({
              TenantId: `tenant-${t}`, Hour: hour, ServiceName: `svc-${k % 5}`, AgentName: `agent-${k % 4}`, Provider: k % 2 ? 'openai' : 'anthropic',
              Model: `model-${k % 3}`, ...ROUTES[k % ROUTES.length], Calls: 10, InputTokens: 12_000, OutputTokens: 900, CacheReadTokens: 6_000, CacheWriteTokens: 100,
              ReasoningTokens: 0, CostUsd: '0.012345678901', UnpricedCalls: 0, Sessions: 2,
            }),
          );
        }
        if (rows.length >= 50_000) await flush();
      }
    }
    await flush();
    await client.command({ query: 'OPTIMIZE TABLE agenttail.usage_hourly FINAL' });
    return { client, inserted, startMs, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** p50 and p95 of `runs` sequential calls, ms. */
export async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(runs * 0.5)]!, p95: ms[Math.floor(runs * 0.95)]! };
}
