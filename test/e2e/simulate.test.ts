import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/lifecycle.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { runSimulation } from '../../src/simulate/run.js';

describe('agenttail simulate against the whole collector', () => {
  let t: TestServer;
  let server: RunningServer;

  beforeAll(async () => {
    t = await startTestServer({ sessions: { idleTimeoutMs: 300 } });
    server = t.server;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('keeps every errored, rare-path and low-eval session, few ordinary ones, and accounts every cent', async () => {
    const result = await runSimulation({
      grpcTarget: `127.0.0.1:${server.grpcPort}`,
      httpUrl: `http://127.0.0.1:${server.httpPort}`,
      sessions: 240,
      seed: 7,
      runId: 'e2e',
      concurrency: 4,
      shares: { error: 0.05, rarePath: 0.05, costOutlier: 0, lowEval: 0.05, lateLowEval: 0.05 },
      decisionWaitMs: 20_000,
    });
    const { report } = result;
    expect(report.missing).toEqual([]);
    const line = (label: string) => report.lines.find((l) => l.label === label)!;
    for (const label of ['error', 'rare_path', 'low_eval', 'late_low_eval']) {
      expect(line(label).sent, label).toBeGreaterThan(0);
      expect(line(label).kept, label).toBe(line(label).sent);
    }
    // Ordinary traffic is kept near the baseline rate (5%), far from everything.
    expect(line('ordinary').sent).toBeGreaterThan(150);
    expect(line('ordinary').keptShare).toBeLessThan(0.2);
    // Cost is exact for every session, kept or dropped.
    expect(report.costSentUsd).toBeGreaterThan(0);
    expect(Math.abs(report.costAccountedUsd - report.costSentUsd)).toBeLessThan(1e-9);
    expect(result.sendStats.failures).toBe(0);

    // The finance rollup agrees with the per-session rows.
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/costs?from=1970-01-01&to=${Date.now() + 3_600_000}&groupBy=tenant`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: { tenant: string; costUsd: string; sessions: number }[]; mode: string };
    expect(body.mode).toBe('open');
    const total = body.rows.reduce((s, r) => s + Number(r.costUsd), 0);
    expect(Math.abs(total - report.costSentUsd)).toBeLessThan(1e-9);
    expect(body.rows.reduce((s, r) => s + Number(r.sessions), 0)).toBe(240);

    // A session kept at decision time comes back with its span tree. (An upgraded one has only its later spans
    // until the WAL re-writes the earlier ones: issue 5.)
    const kept = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/sessions?sessionPrefix=e2e-&kept=true&reason=error&limit=1`);
    const one = ((await kept.json()) as { sessions: { sessionId: string }[] }).sessions[0]!;
    // Span rows are batched separately from session rows: wait for the batch to land.
    type Detail = { kept: boolean; spans: { name: string; children: unknown[] }[] };
    let detail: Detail = { kept: false, spans: [] };
    for (let i = 0; i < 100 && detail.spans.length === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      detail = (await (await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/sessions/${one.sessionId}`)).json()) as Detail;
    }
    expect(detail.kept).toBe(true);
    expect(detail.spans.length).toBeGreaterThan(0);
    expect(detail.spans[0]!.name).toMatch(/^invoke_agent /);
    expect(detail.spans[0]!.children.length).toBeGreaterThan(0);
  });
});
