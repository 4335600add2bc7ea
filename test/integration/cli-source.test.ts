/**
 * Issue 25 point 1: `costs` / `residency` / `reprice` read the collector their configuration names (file, env), not
 * whatever listens on :4318, and every output says where its numbers came from. Real sockets, the CLI as a process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { closedPort, runCli } from '../support/cli-child.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PERIOD = ['--from', '2026-01-01', '--to', '2027-01-01'];

describe('data commands read the configured collector', () => {
  let t: TestServer;
  let port: number;
  let cwd: string;

  beforeAll(async () => {
    t = await startTestServer();
    port = t.server.httpPort!;
    // An empty working directory: no ./data store a fallback could open by accident.
    cwd = mkdtempSync(join(tmpdir(), 'agt-cli-source-'));
  });

  afterAll(async () => {
    await t?.close();
  });

  function configFile(receive: Record<string, unknown>, store: Record<string, unknown> = {}): string {
    const file = join(cwd, `agenttail-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({ receive, store }));
    return file;
  }

  it('costs -c <file with http port> asks that port, not :4318, and the JSON names the URL', async () => {
    const file = configFile({ http: { port } });
    const r = await runCli(['costs', '-c', file, ...PERIOD, '--format', 'json'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { source: string; sourceUrl: string };
    expect(body).toMatchObject({ source: 'api', sourceUrl: `http://127.0.0.1:${port}` });
  });

  it('AGENTTAIL_CFG__RECEIVE__HTTP__PORT sets the address too, and the table footer names it', async () => {
    const r = await runCli(['residency', ...PERIOD], { cwd, env: { AGENTTAIL_CFG__RECEIVE__HTTP__PORT: String(port) } });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`source: collector API at http://127.0.0.1:${port} (address from receive.http.host/port of the config)`);
  });

  it('a wildcard bind host (0.0.0.0) is dialled on loopback', async () => {
    const file = configFile({ http: { host: '0.0.0.0', port } });
    const r = await runCli(['costs', '-c', file, ...PERIOD, '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { sourceUrl: string }).sourceUrl).toBe(`http://127.0.0.1:${port}`);
  });

  it('CSV stays plain CSV on stdout and names the source on stderr', async () => {
    const file = configFile({ http: { port } });
    const r = await runCli(['costs', '-c', file, ...PERIOD, '--format', 'csv'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\r\n')[0]).toMatch(/^tenant,calls,/);
    expect(r.stdout).not.toContain('source');
    expect(r.stderr).toBe(`agenttail: source: collector API at http://127.0.0.1:${port} (address from receive.http.host/port of the config)\n`);
  });

  it('--url wins over the config', async () => {
    const file = configFile({ http: { port: await closedPort() } });
    const r = await runCli(['reprice', '-c', file, ...PERIOD, '--dry-run', '--url', `http://127.0.0.1:${port}/`], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`source: collector API at http://127.0.0.1:${port} (address from --url)`);
  });

  it('with no collector at the configured address it opens the configured store and says why', async () => {
    await t.server.shutdown();
    const file = configFile({ http: { port } }, { path: t.config.store.path });
    const r = await runCli(['costs', '-c', file, ...PERIOD], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      `source: embedded store at ${t.config.store.path} (no collector answered at http://127.0.0.1:${port}, the address from receive.http.host/port of the config)`,
    );
    const json = await runCli(['costs', '-c', file, ...PERIOD, '--format', 'json'], { cwd });
    expect(JSON.parse(json.stdout)).toMatchObject({ source: 'embedded', storePath: t.config.store.path, fallbackReason: expect.stringContaining(`http://127.0.0.1:${port}`) as string });
  });

  it('with the HTTP receiver disabled it says so instead of guessing an address', async () => {
    const file = configFile({ http: { enabled: false } }, { path: join(cwd, 'nowhere') });
    const r = await runCli(['costs', '-c', file, ...PERIOD], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AGT_ERR_STORE: receive.http.enabled is false in the config, and no embedded store at');
  });
});
