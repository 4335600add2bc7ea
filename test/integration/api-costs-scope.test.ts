import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/lifecycle.js';
import { runSimulation } from '../../src/simulate/run.js';
import { startTestServer, TENANT_KEYS, type TestServer } from '../support/server.js';

describe('GET /api/v1/costs tenant scoping', () => {
  let t: TestServer;
  let server: RunningServer;
  const sent: Record<string, number> = {};

  beforeAll(async () => {
    t = await startTestServer(TENANT_KEYS);
    server = t.server;
    for (const [tenant, key] of [['acme', 'key-acme'], ['globex', 'key-globex']] as const) {
      const r = await runSimulation({
        grpcTarget: `127.0.0.1:${server.grpcPort}`,
        httpUrl: `http://127.0.0.1:${server.httpPort}`,
        apiKey: key,
        sessions: 15,
        seed: tenant.length,
        runId: tenant,
        concurrency: 3,
        shares: { error: 0, rarePath: 0, costOutlier: 0, lowEval: 0, lateLowEval: 0 },
        decisionWaitMs: 15_000,
      });
      expect(r.report.missing).toEqual([]);
      sent[tenant] = r.report.costSentUsd;
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  async function costs(key: string | null, extra = ''): Promise<{ status: number; body: { rows?: { tenant: string; costUsd: string }[]; mode?: string; errorCode?: string } }> {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/costs?from=1970-01-01&to=${Date.now() + 3_600_000}&groupBy=tenant${extra}`, {
      headers: key ? { 'x-api-key': key } : {},
    });
    return { status: res.status, body: (await res.json()) as never };
  }

  it('shows a tenant key only its own tenant, with its exact cost', async () => {
    const { status, body } = await costs('key-acme');
    expect(status).toBe(200);
    expect(body.mode).toBe('tenant');
    expect(body.rows!.map((r) => r.tenant)).toEqual(['acme']);
    expect(Math.abs(Number(body.rows![0]!.costUsd) - sent.acme!)).toBeLessThan(1e-9);
  });

  it('refuses a tenant key asking for another tenant', async () => {
    const { status, body } = await costs('key-acme', '&tenant=globex');
    expect(status).toBe(403);
    expect(body.errorCode).toBe('AGT_ERR_TENANT_FORBIDDEN');
  });

  it('shows an admin key every tenant', async () => {
    const { status, body } = await costs('key-admin');
    expect(status).toBe(200);
    expect(body.mode).toBe('admin');
    expect(body.rows!.map((r) => r.tenant).sort()).toEqual(['acme', 'globex']);
    const globex = body.rows!.find((r) => r.tenant === 'globex')!;
    expect(Math.abs(Number(globex.costUsd) - sent.globex!)).toBeLessThan(1e-9);
  });

  it('refuses a request without a key and names a bad parameter', async () => {
    expect((await costs(null)).status).toBe(401);
    const bad = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/costs?from=yesterday&to=1`, { headers: { 'x-api-key': 'key-admin' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('from');
  });
});
