/**
 * Cost-outlier recall from the first session after a restart on an empty log (issue 18). One embedded store; an
 * earlier instance decides a history of `simulate` traffic; then two instances start on that store with a new, empty
 * write-ahead log each: one with warm start off (every tenant + agent key cold: the baseline in the same run), one with
 * it on. Each receives a labelled `simulate` workload with a 1 % share of cost outliers from its first session.
 * Only `cost_outlier` (no absolute ceilings) and the 5 % baseline keep, so a kept outlier is the policy's catch (or
 * the baseline's luck). A third instance, warm, uses the old threshold (`threshold: quantile`, p99.5 of the stream).
 * Reports, per instance, outliers kept / sent (recall) and the kept share of ordinary sessions (the 5 % baseline ± the
 * policy's false keeps).
 * Run: npx tsx bench/outlier-restart.ts [sessions] [historySessions]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { startServer } from '../src/main/lifecycle.js';
import { runSimulation } from '../src/simulate/run.js';

const SESSIONS = Number(process.argv[2] ?? 2_000);
const HISTORY = Number(process.argv[3] ?? 300);
const SHARES = { error: 0, rarePath: 0, costOutlier: 0.01, lowEval: 0, lateLowEval: 0 };
const dir = mkdtempSync(join(tmpdir(), 'agt-outlier-'));

interface Row {
  instance: string;
  outliersSent: number;
  outliersKept: number;
  recall: number;
  ordinaryKeptShare: number;
  warmStartSessions: number;
}

/** An instance on the shared store with its own new log; runs `sessions` of simulate traffic through it. */
async function instance(name: string, warmStart: boolean, sessions: number, seed: number, threshold: 'fence' | 'quantile' = 'fence'): Promise<Row> {
  const config = parseConfig({
    dataDir: join(dir, name),
    logLevel: 'warn',
    store: { path: join(dir, 'clickhouse'), flushIntervalMs: 200 },
    sessions: { idleTimeoutMs: 500, sweepIntervalMs: 50 },
    receive: { grpc: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, overload: { maxRssBytes: 0, maxEventLoopLagMs: 10_000 } },
    shared: { warmStart: { enabled: warmStart } },
    sampling: { policies: { rarePath: { enabled: false }, latency: { enabled: false }, costOutlier: { threshold, maxCostUsd: null, maxTokens: null } } },
  });
  const server = await startServer(config, silentLogger());
  try {
    const { report } = await runSimulation({
      grpcTarget: `127.0.0.1:${server.grpcPort}`,
      httpUrl: `http://127.0.0.1:${server.httpPort}`,
      sessions,
      seed,
      runId: name,
      shares: SHARES,
      concurrency: 8,
      decisionWaitMs: 30_000,
    });
    const out = report.lines.find((l) => l.label === 'cost_outlier') ?? { sent: 0, kept: 0, decided: 0 };
    const ord = report.lines.find((l) => l.label === 'ordinary')!;
    return {
      instance: name,
      outliersSent: out.sent,
      outliersKept: out.kept,
      recall: out.sent === 0 ? 1 : out.kept / out.sent,
      ordinaryKeptShare: ord.keptShare,
      warmStartSessions: server.shared.warmStartReport?.sessionsLearned ?? 0,
    };
  } finally {
    await server.shutdown();
  }
}

try {
  await instance('history', true, HISTORY, 1);
  const rows = [await instance('cold', false, SESSIONS, 2), await instance('warm', true, SESSIONS, 3), await instance('warm-p99.5', true, SESSIONS, 4, 'quantile')];
  const table = new Table({ head: ['instance (empty log)', 'outliers sent', 'kept', 'recall', 'ordinary kept', 'sessions seeded'] });
  for (const r of rows) table.push([r.instance, r.outliersSent, r.outliersKept, `${(r.recall * 100).toFixed(1)} %`, `${(r.ordinaryKeptShare * 100).toFixed(2)} %`, r.warmStartSessions]);
  console.log(table.toString());
  console.log(JSON.stringify({ bench: 'outlier-restart', sessions: SESSIONS, history: HISTORY, rows }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
