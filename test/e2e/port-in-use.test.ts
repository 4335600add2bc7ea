/**
 * Issue 25 point 5: `serve` beside another process holding its port died with grpc-js's "No address added out of
 * total 1 resolved errors" and a stack. The built CLI as a process, real sockets.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../support/cli-child.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

function serve(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'agt-port-'));
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AGENTTAIL_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'serve', ...args], { cwd, env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), stdout, stderr, cwd }),
    );
  });
}

describe('agenttail serve on a port in use', () => {
  let holder: Server;
  let taken: number;

  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    taken = (holder.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((r) => holder.close(r));
  });

  it('gRPC port taken: one line naming the address, receive.grpc.port and its variable, no stack, exit 1', async () => {
    const r = await serve({ AGENTTAIL_CFG__RECEIVE__GRPC__PORT: String(taken), AGENTTAIL_CFG__RECEIVE__HTTP__PORT: String(await closedPort()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `agenttail: AGT_ERR_PORT_IN_USE: 127.0.0.1:${taken} (OTLP/gRPC) is already in use by another process; choose another port with receive.grpc.port in the config file or AGENTTAIL_CFG__RECEIVE__GRPC__PORT=<port> (0 = any free port)\n`,
    );
    expect(r.stdout).not.toContain('No address added');
    // It failed before opening anything: no data directory, no embedded engine to tear down on the way out.
    expect(existsSync(join(r.cwd, 'data'))).toBe(false);
  });

  it('HTTP port taken: one line naming receive.http.port and its variable', async () => {
    const r = await serve({ AGENTTAIL_CFG__RECEIVE__GRPC__PORT: String(await closedPort()), AGENTTAIL_CFG__RECEIVE__HTTP__PORT: String(taken) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `agenttail: AGT_ERR_PORT_IN_USE: 127.0.0.1:${taken} (OTLP/HTTP and API) is already in use by another process; choose another port with receive.http.port in the config file or AGENTTAIL_CFG__RECEIVE__HTTP__PORT=<port> (0 = any free port)\n`,
    );
  });

  it('serve --help lists the port fields and variables', async () => {
    const r = await serve({}, ['--help']);
    expect(r.code).toBe(0);
    for (const s of ['receive.grpc.port', 'AGENTTAIL_CFG__RECEIVE__GRPC__PORT', 'receive.http.port', 'AGENTTAIL_CFG__RECEIVE__HTTP__PORT']) expect(r.stdout).toContain(s);
  });
});
