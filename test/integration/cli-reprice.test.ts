import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRepriceCommand } from '../../src/commands/reprice.js';
import { silentLogger } from '../../src/log.js';
import { loadShippedCatalog } from '../../src/pricing/pricer.js';
import { runSimulation } from '../../src/simulate/run.js';
import { decimalUnits } from '../../src/store/cell-format.js';
import type { RepriceResult } from '../../src/store/reprice.js';
import { startTestServer, TENANT_KEYS, type TestServer } from '../support/server.js';

// The "old catalog" the sessions were priced with at ingest: every model at $1 in / $3 out per 1M tokens.
const OLD_PRICES = { pricing: { overrides: [{ model: '*', inputPerMTok: 1, outputPerMTok: 3 }] } };

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('agenttail reprice', () => {
  let first: TestServer;
  let t: TestServer;
  const sent: Record<string, number> = {};
  const range = { from: '1970-01-01', to: String(Date.now() + 86_400_000) };

  /** Σ cost per tenant from the rollups, exact units of 1e-12 USD. */
  async function tenantCosts(): Promise<Record<string, bigint>> {
    const rs = await t.server.store.client.query({
      query: 'SELECT TenantId AS tenant, toString(sum(CostUsd)) AS cost FROM agenttail.usage_hourly GROUP BY tenant',
      format: 'JSONEachRow',
    });
    return Object.fromEntries((await rs.json<{ tenant: string; cost: string }>()).map((r) => [r.tenant, decimalUnits(r.cost)!]));
  }

  /** The exact cost of each tenant's stored tokens at the shipped catalog's prices, computed here from the catalog file. */
  async function expectedCosts(): Promise<Record<string, bigint>> {
    const byModel = new Map(loadShippedCatalog().models.map((m) => [m.model, m.prices.at(-1)!]));
    const rs = await t.server.store.client.query({
      query: `SELECT TenantId AS tenant, Model AS model, toString(sum(InputTokens)) AS input, toString(sum(OutputTokens)) AS output,
          toString(sum(CacheReadTokens)) AS cacheRead, toString(sum(CacheWriteTokens)) AS cacheWrite
        FROM agenttail.usage_hourly GROUP BY tenant, model`,
      format: 'JSONEachRow',
    });
    const out: Record<string, bigint> = {};
    for (const r of await rs.json<{ tenant: string; model: string; input: string; output: string; cacheRead: string; cacheWrite: string }>()) {
      const p = byModel.get(r.model)!;
      expect(p.reasoningPerMTok).toBeUndefined(); // reasoning is plain output for the simulated models
      // USD per 1M tokens × 1e6 = units of 1e-12 USD per token (the catalog has at most 6 decimals).
      const unit = (perMTok: number | undefined) => BigInt(Math.round((perMTok ?? p.inputPerMTok) * 1e6));
      const [input, output, cacheRead, cacheWrite] = [r.input, r.output, r.cacheRead, r.cacheWrite].map(BigInt) as [bigint, bigint, bigint, bigint];
      const units = (input - cacheRead - cacheWrite) * unit(p.inputPerMTok) + cacheRead * unit(p.cacheReadPerMTok) + cacheWrite * unit(p.cacheWritePerMTok) + output * unit(p.outputPerMTok);
      out[r.tenant] = (out[r.tenant] ?? 0n) + units;
    }
    return out;
  }

  async function post(key: string | null, body: unknown): Promise<{ status: number; body: RepriceResult & { errorCode?: string; message?: string; mode?: string } }> {
    const res = await fetch(`${t.httpUrl}/api/v1/reprice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as never };
  }

  beforeAll(async () => {
    first = await startTestServer({ ...TENANT_KEYS, ...OLD_PRICES });
    for (const [tenant, key] of [['acme', 'key-acme'], ['globex', 'key-globex']] as const) {
      const r = await runSimulation({
        grpcTarget: first.grpcTarget,
        httpUrl: first.httpUrl,
        apiKey: key,
        sessions: 8,
        seed: tenant.length + 7,
        runId: tenant,
        concurrency: 4,
        shares: { error: 0.2, rarePath: 0, costOutlier: 0, lowEval: 0, lateLowEval: 0 },
        decisionWaitMs: 15_000,
      });
      expect(r.report.missing).toEqual([]);
      sent[tenant] = r.report.costSentUsd;
    }
    // A new version with the current catalog starts on the same data directory.
    await first.server.shutdown();
    t = await startTestServer({ ...TENANT_KEYS, dataDir: first.dir, store: { path: first.config.store.path } });
  });

  afterAll(async () => {
    await t?.close();
    if (first) rmSync(first.dir, { recursive: true, force: true });
  });

  it('refuses tenant keys, missing keys and bad bodies', async () => {
    const own = await post('key-acme', { ...range, tenant: 'acme' });
    expect(own.status).toBe(403);
    expect(own.body.errorCode).toBe('AGT_ERR_TENANT_FORBIDDEN');
    expect((await post(null, range)).status).toBe(401);
    const badTime = await post('key-admin', { from: 'last tuesday', to: range.to });
    expect(badTime.status).toBe(400);
    expect(badTime.body.message).toContain('from');
    const reversed = await post('key-admin', { from: range.to, to: range.from });
    expect(reversed.status).toBe(400);
    expect(reversed.body.message).toContain('after');
    expect((await post('key-admin', { ...range, colour: 'red' })).status).toBe(400);
  });

  it('dry run: reports the change for a tenant and writes nothing', async () => {
    const before = await tenantCosts();
    const expected = await expectedCosts();
    expect(before.acme).not.toBe(expected.acme); // the old prices differ
    const { status, body } = await post('key-admin', { ...range, tenant: 'acme', dryRun: true });
    expect(status).toBe(200);
    expect(body).toMatchObject({ dryRun: true, tenant: 'acme', catalogVersion: loadShippedCatalog().version, rowsUnknownModel: 0, rowsReportedCost: 0 });
    expect(body.rowsChanged).toBeGreaterThan(0);
    expect(decimalUnits(body.costBeforeUsd)).toBe(before.acme);
    expect(decimalUnits(body.costAfterUsd)).toBe(expected.acme);
    expect(await tenantCosts()).toEqual(before);
  });

  it('re-prices one tenant to the exact catalog cost of its tokens, leaves the other, and a second run changes nothing', async () => {
    const before = await tenantCosts();
    const expected = await expectedCosts();
    const { status, body } = await post('key-admin', { ...range, tenant: 'acme' });
    expect(status).toBe(200);
    expect(body.rowsChanged).toBeGreaterThan(0);
    const after = await tenantCosts();
    expect(after.acme).toBe(expected.acme);
    expect(Math.abs(Number(after.acme) / 1e12 - sent.acme!)).toBeLessThan(1e-9);
    expect(after.globex).toBe(before.globex);

    const again = await post('key-admin', { ...range, tenant: 'acme' });
    expect(again.body.rowsChanged).toBe(0);
    expect(again.body.deltaUsd).toBe('0.000000000000');
    expect(await tenantCosts()).toEqual(after);
  });

  it('runs from the CLI through the collector, for every tenant, printing JSON', async () => {
    const { out, text } = capture();
    const source = await runRepriceCommand({ ...range, format: 'json', url: t.httpUrl, apiKey: 'key-admin', config: t.config, log: silentLogger() }, out);
    expect(source).toBe('api');
    const body = JSON.parse(text()) as RepriceResult;
    expect(body.changes.every((c) => c.tenant === 'globex')).toBe(true);
    expect(await tenantCosts()).toEqual(await expectedCosts());
    expect(Math.abs(Number((await tenantCosts()).globex) / 1e12 - sent.globex!)).toBeLessThan(1e-9);
  });

  it('records every run that wrote with the catalog version', async () => {
    const rs = await t.server.store.client.query({
      query: 'SELECT TenantId AS tenant, CatalogVersion AS version, toBool(RowsChanged > 0) AS changed FROM agenttail.reprice_runs ORDER BY StartedAt, RunId',
      format: 'JSONEachRow',
    });
    const version = loadShippedCatalog().version;
    expect(await rs.json()).toEqual([
      { tenant: 'acme', version, changed: true },
      { tenant: 'acme', version, changed: false },
      { tenant: '', version, changed: true },
    ]);
  });

  it('passes a tenant key refusal on to the CLI as its error code', async () => {
    await expect(
      runRepriceCommand({ ...range, format: 'table', url: t.httpUrl, apiKey: 'key-globex', config: t.config, log: silentLogger() }, capture().out),
    ).rejects.toMatchObject({ code: 'AGT_ERR_TENANT_FORBIDDEN' });
  });

  it('works on the embedded data directory when no collector answers, and finds nothing left to change', async () => {
    await t.server.shutdown();
    const probe = createServer();
    const closedPort = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((r) => probe.close(r));
    const { out, text } = capture();
    const source = await runRepriceCommand({ ...range, format: 'table', url: `http://127.0.0.1:${closedPort}`, config: t.config, log: silentLogger() }, out);
    expect(source).toBe('embedded');
    expect(text()).toMatch(/0 changed/);
    expect(text()).toContain(loadShippedCatalog().version);
  });

  it('refuses bad arguments before touching anything, and the CLI exits non-zero', async () => {
    const opts = { format: 'json' as const, url: 'http://127.0.0.1:1', config: t.config, log: silentLogger() };
    await expect(runRepriceCommand({ ...opts, from: 'yesterday', to: '1' }, capture().out)).rejects.toMatchObject({ code: 'AGT_ERR_BAD_QUERY', message: expect.stringContaining('--from') as string });
    await expect(runRepriceCommand({ ...opts, from: '2026-11-02', to: '2026-11-01' }, capture().out)).rejects.toMatchObject({ code: 'AGT_ERR_BAD_QUERY', message: expect.stringContaining('after') as string });
    await expect(runRepriceCommand({ ...opts, from: '2026-11-01', to: '2026-11-02', tenant: '' }, capture().out)).rejects.toMatchObject({ code: 'AGT_ERR_BAD_QUERY' });
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', cli, 'reprice', '--from', 'not-a-time', '--to', '2026-11-01'], (err, _stdout, stderr) =>
        resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), stderr }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AGT_ERR_BAD_QUERY: --from "not-a-time"');
  });
});
