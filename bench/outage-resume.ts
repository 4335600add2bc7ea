/**
 * Issue 12.6: how long after ClickHouse returns from an outage do inserts resume? A ClickHouse HTTP endpoint
 * (test/support/clickhouse-http.ts over chDB) refuses every connection for `outageSeconds`; one insert retries
 * through it with the default backoff (store.retry: 200 ms doubling to 30 s, ±20 % jitter). Measured: wall time
 * from the endpoint's return to the insert going through, with the resume gate (pings while waiting) and, as the
 * baseline in the same run, with the gate's ping switched off (the backoff alone, as before).
 * Run: npx tsx bench/outage-resume.ts [outageSeconds] [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { silentLogger } from '../src/log.js';
import { BatchInserter } from '../src/store/batch-inserter.js';
import { runMigrations } from '../src/store/migrations.js';
import { ResumeGate } from '../src/store/resume-gate.js';
import { StoreMetrics } from '../src/store/store-metrics.js';
import { startClickHouseHttp } from '../test/support/clickhouse-http.js';

const outageMs = Number(process.argv[2] ?? 20) * 1000;
const rounds = Number(process.argv[3] ?? 1);
const log = silentLogger();

const dir = mkdtempSync(join(tmpdir(), 'agt-bench-outage-'));
const ch = await startClickHouseHttp({ path: dir, username: 'agt', password: 'pw' });
// The client's own logger prints every refused connection; the figures are what matters here.
const quiet = { level: ClickHouseLogLevel.OFF };
const client = createClient({ url: ch.url, username: 'agt', password: 'pw', database: 'agenttail', request_timeout: 2000, log: quiet });
const bootstrap = createClient({ url: ch.url, username: 'agt', password: 'pw', database: 'default', log: quiet });
await runMigrations({ client: bootstrap, database: 'agenttail', log });
await bootstrap.close();

async function resumeMs(pingWakes: boolean, round: number): Promise<number> {
  const gate = new ResumeGate({ ping: async () => pingWakes && (await client.ping()).success });
  const inserter = new BatchInserter({ client, database: 'agenttail', retry: { initialMs: 200, maxMs: 30_000, maxAttempts: 12 }, durable: true, maxConcurrent: 1, metrics: new StoreMetrics(new Registry()), log, gate });
  const row = JSON.stringify({ TenantId: 'bench', Timestamp: String(BigInt(Date.now()) * 1_000_000n), SessionId: `s${round}${pingWakes ? 'g' : 'b'}`, TraceId: '', SpanId: '', Name: 'q', Score: 1, Label: '', Explanation: '', Source: 'api' }) + '\n';
  ch.unavailable = true;
  let doneAt = 0;
  const insert = inserter.insert('evals', Buffer.from(row), `bench-${round}-${pingWakes}`).then((r) => {
    doneAt = performance.now();
    return r;
  });
  await new Promise((r) => setTimeout(r, outageMs));
  ch.unavailable = false;
  const backAt = performance.now();
  const r = await insert;
  if (r.status !== 'ok') throw new Error(`insert ended ${r.status}`);
  gate.close();
  return Math.round(doneAt - backAt);
}

const results: { round: number; backoffOnlyMs: number; withGateMs: number }[] = [];
for (let i = 0; i < rounds; i++) {
  const backoffOnlyMs = await resumeMs(false, i);
  const withGateMs = await resumeMs(true, i);
  results.push({ round: i, backoffOnlyMs, withGateMs });
}
console.table(results);
console.log(JSON.stringify({ outageMs, results }));
await client.close();
await ch.close();
rmSync(dir, { recursive: true, force: true });
