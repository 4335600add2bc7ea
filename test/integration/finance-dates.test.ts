/** Issue 25 point 2: dates are never guessed, on the CLI and the read API alike, over real sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-child.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('finance periods', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function get(path: string): Promise<{ status: number; body: { message?: string; errorCode?: string; from?: string; to?: string } }> {
    const res = await fetch(`${t.httpUrl}${path}`);
    return { status: res.status, body: (await res.json()) as { message?: string; errorCode?: string } };
  }

  describe('read API', () => {
    it('refuses 07/12/2026 and epoch seconds on every route that takes a period, naming the accepted forms', async () => {
      for (const route of ['/api/v1/costs?', '/api/v1/residency?to=2026-12-08&', '/api/v1/sessions?']) {
        for (const from of ['07/12/2026', '12/07/2026', '1796605000']) {
          const r = await get(`${route}from=${encodeURIComponent(from)}`);
          expect(r.status, `${route} ${from}`).toBe(400);
          expect(r.body.errorCode).toBe('AGT_ERR_BAD_QUERY');
          expect(r.body.message).toMatch(/from: .* is not a time: use an ISO-8601 date .*13 digits/);
        }
      }
    });

    it('answers 400 for an empty or inverted period instead of an empty list', async () => {
      for (const route of ['/api/v1/costs', '/api/v1/residency', '/api/v1/sessions']) {
        const empty = await get(`${route}?from=2026-12-01&to=2026-12-01`);
        expect(empty.status, route).toBe(400);
        expect(empty.body.message).toContain('the period is empty');
        const inverted = await get(`${route}?from=2026-12-02&to=2026-12-01T23:59`);
        expect(inverted.status, route).toBe(400);
        expect(inverted.body.message).toContain('the period is inverted');
      }
    });

    it('reads a date without a zone as UTC midnight and 13 digits as epoch ms', async () => {
      const r = await get('/api/v1/costs?from=2026-12-01&to=1796605000000');
      expect(r.status).toBe(200);
      expect(r.body.from).toBe('2026-12-01T00:00:00.000Z');
      expect(r.body.to).toBe(new Date(1_796_605_000_000).toISOString());
    });

    it('refuses epoch seconds in the reprice body', async () => {
      const res = await fetch(`${t.httpUrl}/api/v1/reprice`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 1796605000, to: '2026-12-08', dryRun: true }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/from: .*13 digits/);
    });
  });

  describe('CLI', () => {
    it('costs --from 07/12/2026 exits 1 naming the flag and the accepted forms, without asking the collector', async () => {
      const r = await runCli(['costs', '--from', '07/12/2026', '--to', '2026-12-08', '--url', t.httpUrl]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('AGT_ERR_BAD_QUERY: --from "07/12/2026" is not a time: use an ISO-8601 date');
      expect(r.stdout).toBe('');
    });

    it('residency --to 1796605000 (epoch seconds) exits 1', async () => {
      const r = await runCli(['residency', '--from', '2026-12-01', '--to', '1796605000', '--url', t.httpUrl]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--to "1796605000" is not a time');
    });

    it('costs with an empty period exits 1 instead of printing an empty table', async () => {
      const r = await runCli(['costs', '--from', '2026-12-01', '--to', '2026-12-01T00:00:00Z', '--url', t.httpUrl]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('the period is empty');
      expect(r.stdout).toBe('');
    });

    it('--help says a time without a zone is UTC and epoch ms are 13 digits', async () => {
      for (const command of ['costs', 'residency', 'reprice']) {
        const r = await runCli([command, '--help']);
        const help = r.stdout.replace(/\s+/g, ' '); // commander wraps lines
        expect(help, command).toContain('no zone = UTC');
        expect(help, command).toContain('epoch ms as 13 digits');
      }
    });
  });
});
