/** `costs` and `reprice` run where there is no collector and no store: one line naming the path, nothing created. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closedPort, runCli } from '../support/cli-child.js';

describe('agenttail costs / reprice without a store', () => {
  for (const command of ['costs', 'reprice']) {
    it(`${command}: says in one line where it looked, exits 1 and creates no store there`, async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'agt-nostore-'));
      const url = `http://127.0.0.1:${await closedPort()}`;
      // The project's own AGENTTAIL_* variables are set, as a user of the CLI has them: they are not config overrides.
      const r = await runCli([command, '--from', '2026-11-01', '--to', '2026-12-01', '--url', url], { cwd, env: { AGENTTAIL_API_KEY: 'k', AGENTTAIL_CLICKHOUSE_PASSWORD: 'pw' } });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`AGT_ERR_STORE: no collector at ${url}, and no embedded store at ${join(cwd, 'data', 'clickhouse')}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(cwd, 'data'))).toBe(false);
    });
  }
});
