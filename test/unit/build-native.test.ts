/**
 * scripts/build-native.mjs, which `npm run build` runs: it compiles native/malloc-trim.c with the machine's C compiler
 * and Node's own headers, and where there is no compiler it says why and builds nothing (the build still succeeds).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agt-native-'));

function build(out: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [SCRIPT], { env: { ...env, AGENTTAIL_NATIVE_OUT: out }, encoding: 'utf8' });
}

describe('build-native', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds a loadable malloc trim with the machine’s compiler and Node’s headers', async () => {
    const out = join(dir, 'built', 'malloc-trim.node');
    const r = build(out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`built ${out}`);
    const native = createRequire(import.meta.url)(out) as { trim(): Promise<boolean> };
    expect(typeof (await native.trim())).toBe('boolean');
  });

  it('without a C compiler: says why, builds nothing, and succeeds', () => {
    const out = join(dir, 'none', 'malloc-trim.node');
    const r = build(out, { ...process.env, PATH: join(dir, 'no-such-bin') });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('not built (no C compiler (cc, gcc or clang))');
    expect(existsSync(out)).toBe(false);
  });
});
