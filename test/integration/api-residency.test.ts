import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESIDENCY_COLUMNS, type ResidencyRow } from '../../src/store/read/residency.js';
import { runResidencyCommand } from '../../src/commands/residency.js';
import { hostInfo } from '../../src/conventions/region-table.js';
import { runSimulation } from '../../src/simulate/run.js';
import { generateScenario } from '../../src/simulate/scenario.js';
import { startTestServer, TENANT_KEYS, type TestServer } from '../support/server.js';

const SHARES = { error: 0, rarePath: 0, costOutlier: 0, lowEval: 0, lateLowEval: 0 };
const SESSIONS = 15;
const EU = ['eu', 'eu-*', 'europe-*'];

/** Model calls the simulation sends per region for a tenant's run (the scenario is deterministic per seed). */
function callsByRegion(seed: number, runId: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of generateScenario({ sessions: SESSIONS, seed, runId, shares: SHARES, nowMs: Date.now() })) {
    for (const span of s.traces.flatMap((t) => t.spans)) {
      if (!span.usage) continue;
      const region = (span.attributes['agenttail.provider.region'] as string | undefined) ?? hostInfo(String(span.attributes['server.address']))!.region;
      out.set(region, (out.get(region) ?? 0) + 1);
    }
  }
  return out;
}

interface Body {
  rows?: ResidencyRow[];
  totals?: Record<string, { calls: number; costUsd: string }>;
  mode?: string;
  errorCode?: string;
  message?: string;
}

describe('GET /api/v1/residency and agenttail residency', () => {
  let t: TestServer;
  const tenants = { acme: { key: 'key-acme', seed: 21 }, globex: { key: 'key-globex', seed: 22 } };

  beforeAll(async () => {
    t = await startTestServer({
      ...TENANT_KEYS,
      residency: { tenants: { acme: { allowedRegions: EU, unknownRegion: 'keep' } }, default: { allowedRegions: ['*'] } },
    });
    for (const [tenant, { key, seed }] of Object.entries(tenants)) {
      const r = await runSimulation({ grpcTarget: t.grpcTarget, httpUrl: t.httpUrl, apiKey: key, sessions: SESSIONS, seed, runId: tenant, concurrency: 3, shares: SHARES, decisionWaitMs: 15_000 });
      expect(r.report.missing).toEqual([]);
    }
    await t.server.store.forceFlush();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function get(key: string | null, query: string): Promise<{ status: number; body: Body; text: string; type: string | null }> {
    const res = await fetch(`${t.httpUrl}/api/v1/residency?${query}`, { headers: key ? { 'x-api-key': key } : {} });
    const text = await res.text();
    let body: Body = {};
    try {
      body = JSON.parse(text) as Body;
    } catch {
      // CSV
    }
    return { status: res.status, body, text, type: res.headers.get('content-type') };
  }
  const period = `from=1970-01-01&to=${Date.now() + 3_600_000}`;

  it('shows a tenant key only its tenant, violations first, with exact call counts per region', async () => {
    const { status, body } = await get('key-acme', period);
    expect(status).toBe(200);
    expect(body.mode).toBe('tenant');
    const rows = body.rows!;
    expect(new Set(rows.map((r) => r.tenant))).toEqual(new Set(['acme']));
    const firstOk = rows.findIndex((r) => r.status === 'ok');
    expect(rows.slice(0, firstOk === -1 ? rows.length : firstOk).every((r) => r.status === 'violation')).toBe(true);
    const sent = callsByRegion(tenants.acme.seed, 'acme');
    const got = new Map<string, number>();
    for (const r of rows) got.set(r.region, (got.get(r.region) ?? 0) + r.calls);
    expect(got).toEqual(sent);
    const outside = [...sent].filter(([region]) => !/^(eu|eu-.*|europe-.*)$/.test(region)).reduce((n, [, c]) => n + c, 0);
    expect(outside).toBeGreaterThan(0);
    expect(body.totals!.violation!.calls).toBe(outside);
    for (const r of rows) expect(r.status, r.region).toBe(/^(eu|eu-.*|europe-.*)$/.test(r.region) ? 'ok' : 'violation');
  });

  it('keeps every acme session with a call outside the EU, reason residency', async () => {
    const res = await fetch(`${t.httpUrl}/api/v1/sessions?sessionPrefix=acme-&limit=1000`, { headers: { 'x-api-key': 'key-acme' } });
    const sessions = ((await res.json()) as { sessions: { kept: boolean; reasons: string[] }[] }).sessions;
    const residency = sessions.filter((s) => s.reasons.includes('residency'));
    expect(residency.length).toBeGreaterThan(0);
    expect(residency.every((s) => s.kept)).toBe(true);
  });

  it('refuses a tenant key asking for another tenant and a request without a key', async () => {
    const other = await get('key-acme', `${period}&tenant=globex`);
    expect(other.status).toBe(403);
    expect(other.body.errorCode).toBe('AGT_ERR_TENANT_FORBIDDEN');
    expect((await get(null, period)).status).toBe(401);
  });

  it('shows an admin key every tenant, and one tenant when asked', async () => {
    const all = await get('key-admin', period);
    expect(all.body.mode).toBe('admin');
    expect(new Set(all.body.rows!.map((r) => r.tenant))).toEqual(new Set(['acme', 'globex']));
    // globex falls under the default policy, which allows every region.
    expect(all.body.rows!.filter((r) => r.tenant === 'globex').every((r) => r.status === 'ok')).toBe(true);
    const one = await get('key-admin', `${period}&tenant=globex`);
    expect(new Set(one.body.rows!.map((r) => r.tenant))).toEqual(new Set(['globex']));
  });

  it('answers 400 naming a bad parameter: time, order, format, unknown name', async () => {
    for (const [query, word] of [['from=yesterday&to=1', 'from'], ['from=2026-12-02&to=2026-12-01', 'after'], [`${period}&format=xml`, 'format'], [`${period}&groupBy=tenant`, 'groupBy'], ['to=5', 'from']] as const) {
      const r = await get('key-admin', query);
      expect(r.status, query).toBe(400);
      expect(r.body.errorCode, query).toBe('AGT_ERR_BAD_QUERY');
      expect(r.body.message, query).toContain(word);
    }
  });

  it('serves CSV with the report columns, violations first', async () => {
    const r = await get('key-acme', `${period}&format=csv`);
    expect(r.type).toContain('text/csv');
    const lines = r.text.trim().split('\r\n');
    expect(lines[0]).toBe(RESIDENCY_COLUMNS.join(','));
    expect(lines[1]!.startsWith('violation,acme,')).toBe(true);
  });

  it('agenttail residency prints the same report from the collector as JSON and as a table', async () => {
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c));
    const source = await runResidencyCommand({ from: '1970-01-01', to: String(Date.now() + 3_600_000), format: 'json', url: t.httpUrl, apiKey: 'key-acme', config: t.config }, out);
    expect(source).toBe('api');
    const printed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
    expect(printed.rows).toEqual((await get('key-acme', period)).body.rows);
    const table = new PassThrough();
    const tableChunks: Buffer[] = [];
    table.on('data', (c: Buffer) => tableChunks.push(c));
    await runResidencyCommand({ from: '1970-01-01', to: String(Date.now() + 3_600_000), format: 'table', url: t.httpUrl, apiKey: 'key-acme', config: t.config }, table);
    expect(Buffer.concat(tableChunks).toString('utf8')).toMatch(/violation.*acme/);
    await expect(runResidencyCommand({ from: '5', to: '1', format: 'json', url: t.httpUrl, config: t.config }, new PassThrough())).rejects.toMatchObject({ code: 'AGT_ERR_BAD_QUERY' });
  });

  it('agenttail residency with a key the collector refuses reports its code and URL (it said AGT_ERR_BAD_QUERY for any refusal)', async () => {
    const period = { from: '2026-01-01', to: '2027-01-01', format: 'json' as const, url: t.httpUrl, config: t.config };
    await expect(runResidencyCommand({ ...period, apiKey: 'no-such-key' }, new PassThrough())).rejects.toMatchObject({
      code: 'AGT_ERR_UNAUTHENTICATED',
      message: expect.stringContaining(`the collector at ${t.httpUrl} answered 401`) as string,
    });
    await expect(runResidencyCommand({ ...period, apiKey: 'key-acme', tenant: 'globex' }, new PassThrough())).rejects.toMatchObject({ code: 'AGT_ERR_TENANT_FORBIDDEN' });
  });
});
