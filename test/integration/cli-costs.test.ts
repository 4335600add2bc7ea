import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCostsCommand } from '../../src/commands/costs.js';
import type { Config } from '../../src/config/schema.js';
import type { RunningServer } from '../../src/main/lifecycle.js';
import { runSimulation } from '../../src/simulate/run.js';
import { startTestServer, type TestServer } from '../support/server.js';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

function csvTotal(csv: string): { cost: number; rows: number } {
  const lines = csv.trim().split('\r\n');
  const header = lines[0]!.split(',');
  const i = header.indexOf('costUsd');
  const body = lines.slice(1).map((l) => l.split(','));
  return { cost: body.reduce((s, r) => s + Number(r[i]), 0), rows: body.length };
}

describe('agenttail costs', () => {
  let t: TestServer;
  let config: Config;
  let server: RunningServer;
  let costSentUsd = 0;

  beforeAll(async () => {
    t = await startTestServer();
    ({ server, config } = t);
    const r = await runSimulation({
      grpcTarget: `127.0.0.1:${server.grpcPort}`,
      httpUrl: `http://127.0.0.1:${server.httpPort}`,
      sessions: 40,
      seed: 3,
      runId: 'costs',
      concurrency: 4,
      shares: { error: 0.1, rarePath: 0, costOutlier: 0, lowEval: 0, lateLowEval: 0 },
      decisionWaitMs: 15_000,
    });
    costSentUsd = r.report.costSentUsd;
    expect(r.report.missing).toEqual([]);
  });

  afterAll(async () => {
    await t?.close();
  });

  const range = { from: '1970-01-01', to: String(Date.now() + 86_400_000) };

  it('asks a running collector and prints CSV that parses to the exact total', async () => {
    // The simulation waits for the sessions' rows; the usage rollup rows the costs read may land one flush later
    // (100 ms here), so the total is read again until it is complete, for at most 5 s.
    let source = '';
    let total = { cost: 0, rows: 0 };
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const { out, text } = capture();
      source = await runCostsCommand({ ...range, to: String(Date.now() + 86_400_000), groupBy: 'tenant,model', format: 'csv', url: `http://127.0.0.1:${server.httpPort}`, config }, out);
      total = csvTotal(text());
      if (Math.abs(total.cost - costSentUsd) < 1e-9) break;
    }
    expect(source).toBe('api');
    const { cost, rows } = total;
    expect(rows).toBe(3); // three agents, one model each, one tenant
    expect(Math.abs(cost - costSentUsd)).toBeLessThan(1e-9);
  });

  it('refuses an unknown group-by column by name', async () => {
    await expect(runCostsCommand({ ...range, groupBy: 'tenant,colour', format: 'json', url: `http://127.0.0.1:${server.httpPort}`, config }, capture().out)).rejects.toThrow(/colour/);
  });

  it('opens the embedded data directory when no collector answers', async () => {
    await server.shutdown();
    // A port nothing listens on: bind one, then close it.
    const probe = createServer();
    const closedPort = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((r) => probe.close(r));
    const { out, text } = capture();
    const source = await runCostsCommand({ ...range, groupBy: 'tenant', format: 'json', url: `http://127.0.0.1:${closedPort}`, config }, out);
    expect(source).toBe('embedded');
    const body = JSON.parse(text()) as { rows: { tenant: string; costUsd: string; sessions: number }[] };
    expect(body.rows.map((r) => r.tenant)).toEqual(['default']);
    expect(Math.abs(Number(body.rows[0]!.costUsd) - costSentUsd)).toBeLessThan(1e-9);
    expect(Number(body.rows[0]!.sessions)).toBe(40);
  });
});
