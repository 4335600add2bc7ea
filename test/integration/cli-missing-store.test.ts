/** `costs` and `reprice` run where there is no collector and no store: one line naming the path, nothing created. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
// Resolved here: `--import tsx` would be looked up from the child's working directory, which has no node_modules.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  return port;
}

function cli(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // The project's own AGENTTAIL_* variables are set, as a user of the CLI has them: they are not config overrides.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AGENTTAIL_'))), AGENTTAIL_API_KEY: 'k', AGENTTAIL_CLICKHOUSE_PASSWORD: 'pw' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), stdout, stderr }),
    );
  });
}

describe('agenttail costs / reprice without a store', () => {
  for (const command of ['costs', 'reprice']) {
    it(`${command}: says in one line where it looked, exits 1 and creates no store there`, async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'agt-nostore-'));
      const url = `http://127.0.0.1:${await closedPort()}`;
      const r = await cli(cwd, [command, '--from', '2026-11-01', '--to', '2026-12-01', '--url', url]);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`AGT_ERR_STORE: no collector at ${url}, and no embedded store at ${join(cwd, 'data', 'clickhouse')}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(cwd, 'data'))).toBe(false);
    });
  }
});
