import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAMP, staleReason } from '../../scripts/build-if-stale.mjs';

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'agt-stale-'));
  mkdirSync(join(root, 'src', 'api'), { recursive: true });
  writeFileSync(join(root, 'src', 'api', 'a.ts'), '');
  writeFileSync(join(root, 'package.json'), '{}');
  return root;
}

/** Sets a path's modification time to `s` seconds after the epoch. */
const at = (path: string, s: number): void => utimesSync(path, s, s);

describe('staleReason', () => {
  it('asks for a build when there is none (a fresh clone)', () => {
    expect(staleReason(project())).toBe('no build yet');
  });

  it('finds nothing to do when the last build is newer than every source, and names the file that changed', () => {
    const root = project();
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, STAMP), '');
    for (const p of ['src', 'src/api', 'src/api/a.ts', 'package.json']) at(join(root, p), 1_000);
    at(join(root, STAMP), 2_000);
    expect(staleReason(root)).toBeNull();
    at(join(root, 'src', 'api', 'a.ts'), 3_000);
    expect(staleReason(root)).toBe(`${join('src', 'api', 'a.ts')} changed since the last build`);
    at(join(root, 'src', 'api', 'a.ts'), 1_000);
    at(join(root, 'package.json'), 3_000);
    expect(staleReason(root)).toBe('package.json changed since the last build');
  });

  it('notices a removed source through its folder', () => {
    const root = project();
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, STAMP), '');
    for (const p of ['src', 'src/api/a.ts', 'package.json']) at(join(root, p), 1_000);
    at(join(root, STAMP), 2_000);
    at(join(root, 'src', 'api'), 3_000);
    expect(staleReason(root)).toBe(`${join('src', 'api')} changed since the last build`);
  });
});
