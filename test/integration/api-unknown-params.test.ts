/** Issue 25 point 3: the read routes refuse what they do not know instead of ignoring it, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECTOR_REASONS } from '../../src/model/decision.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('read API parameters', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function get(path: string): Promise<{ status: number; message: string }> {
    const res = await fetch(`${t.httpUrl}${path}`);
    const body = (await res.json()) as { message?: string };
    return { status: res.status, message: body.message ?? '' };
  }

  describe('unknown parameters', () => {
    it('GET /api/v1/sessions?tenat=nc2 is a 400 naming tenat and listing tenant (it answered 200 with every session)', async () => {
      const r = await get('/api/v1/sessions?tenat=nc2');
      expect(r.status).toBe(400);
      expect(r.message).toMatch(/tenat: unknown parameter "tenat"; this route takes tenant, from, to, kept, reason, sessionPrefix, limit, cursor$/);
    });

    it('is a 400 naming the parameter on every read route', async () => {
      const period = 'from=2026-12-01&to=2026-12-02';
      for (const [path, valid] of [
        [`/api/v1/costs?${period}&grupBy=model`, 'from, to, groupBy, format, tenant'],
        [`/api/v1/residency?${period}&tenants=acme`, 'from, to, format, tenant'],
        ['/api/v1/sessions/some-id?tenantId=acme', 'tenant'],
      ] as const) {
        const r = await get(path);
        expect(r.status, path).toBe(400);
        expect(r.message, path).toContain(`unknown parameter`);
        expect(r.message, path).toContain(`this route takes ${valid}`);
      }
    });

    it('POST /v1/evals?dryRun=1 is a 400 naming dryRun, and nothing is accepted', async () => {
      const res = await fetch(`${t.httpUrl}/v1/evals?dryRun=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sessionId: 's', name: 'q', score: 1 }) });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('AGT_ERR_BAD_QUERY');
      expect(body.message).toContain('dryRun: unknown parameter');
    });
  });

  describe('unknown enum values', () => {
    it('?reason=errors is a 400 listing the reasons (it answered an empty list)', async () => {
      const r = await get('/api/v1/sessions?reason=errors');
      expect(r.status).toBe(400);
      expect(r.message).toContain('reason: "errors" is not a reason a decision writes; valid: error, rare_path');
      for (const d of DETECTOR_REASONS) expect(r.message).toContain(d);
    });

    it('accepts every reason a decision writes, rule names included', async () => {
      for (const reason of ['error', 'stalled', 'upgrade:low_eval', 'upgrade:shared', 'rule:vip', 'drop:health', 'budget:thinned']) {
        const r = await get(`/api/v1/sessions?reason=${encodeURIComponent(reason)}`);
        expect(r.status, `${reason}: ${r.message}`).toBe(200);
      }
      expect((await get('/api/v1/sessions?reason=upgrade:errors')).status).toBe(400);
      expect((await get('/api/v1/sessions?reason=rule:')).status).toBe(400);
    });

    it('format=xml and kept=yes are 400s listing the valid values', async () => {
      const costs = await get('/api/v1/costs?format=xml');
      expect(costs.status).toBe(400);
      expect(costs.message).toContain('format: "xml" is not one of json, csv');
      const kept = await get('/api/v1/sessions?kept=yes');
      expect(kept.status).toBe(400);
      expect(kept.message).toContain('kept: "yes" is not one of true, false');
      const groupBy = await get('/api/v1/costs?groupBy=tenant,colour');
      expect(groupBy.status).toBe(400);
      expect(groupBy.message).toContain('groupBy: "colour" is not one of tenant, service, agent, provider, model, responseModel, region, endpoint, hour, day');
    });
  });
});
