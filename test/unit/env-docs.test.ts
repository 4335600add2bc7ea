/** The README's one table of environment variables lists every variable the project reads, and nothing else. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_PREFIX } from '../../src/config/env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    return statSync(join(ROOT, p)).isDirectory() ? files(p, ext) : ext.test(name) ? [p] : [];
  });
}

/** Variables read in code (`process.env.X`, `env.X`), referenced by compose and provisioning (`${X}`), or by ClickHouse (`from_env`). */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const f of [...files('src', /\.ts$/), ...files('bench', /\.ts$/)]) {
    for (const m of read(f).matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
  }
  for (const f of ['docker-compose.yml', ...files('dashboards/provisioning', /\.ya?ml$/)]) {
    for (const m of read(f).matchAll(/\$\{(\w+)(?::-[^}]*)?\}/g)) names.add(m[1]!);
  }
  for (const f of files('deploy', /\.xml$/)) for (const m of read(f).matchAll(/from_env="(\w+)"/g)) names.add(m[1]!);
  return names;
}

/** The first column of the README's environment table. */
function documented(): Set<string> {
  const section = /### Environment variables\n([\s\S]*?)\n## /.exec(read('README.md'))![1]!;
  const names = new Set<string>();
  for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
    for (const m of row.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_<>]+)`/g)) names.add(m[1]!);
  }
  return names;
}

describe('README environment table', () => {
  it('documents every variable the code, compose and deploy configs read', () => {
    const doc = documented();
    const missing = [...variablesRead()].filter((n) => !doc.has(n));
    expect(missing).toEqual([]);
  });

  it('documents nothing that is not read, and the config override scheme', () => {
    const read = variablesRead();
    const overrides = `${ENV_PREFIX}<SECTION>__<FIELD>`;
    expect(documented().has(overrides)).toBe(true);
    const stale = [...documented()].filter((n) => n !== overrides && !read.has(n));
    expect(stale).toEqual([]);
  });
});
