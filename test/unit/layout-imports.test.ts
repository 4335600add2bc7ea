import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every .ts file under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The src-relative targets of a file's relative imports (type-only imports included: they tie folders together too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)) out.push(relative(SRC, resolve(dirname(file), m[1]!)));
  return out;
}

/** The stages that use the durability stage (they log through it or are replayed by it), and what sits above them. */
const USERS_OF_DURABILITY = ['sessions', 'sampling', 'store', 'receive', 'logs', 'shared', 'api', 'commands', 'simulate', 'main', 'cli.ts'];

describe('layout', () => {
  describe('src/durability/', () => {
    it('imports no stage that uses it (they hand in what recovery needs as interfaces)', () => {
      const files = tsFiles(join(SRC, 'durability'));
      expect(files.length).toBeGreaterThan(3);
      const backward = files.flatMap((f) =>
        importsOf(f)
          .filter((target) => USERS_OF_DURABILITY.some((u) => target === u.replace(/\.ts$/, '.js') || target.startsWith(`${u}/`)))
          .map((target) => `${relative(SRC, f)} → ${target}`),
      );
      expect(backward).toEqual([]);
    });

    it('would name a backward import (the check reads real import lines)', () => {
      expect(importsOf(join(SRC, 'sessions', 'session-replay.ts'))).toContain('durability/replay.js');
    });
  });

  describe('read queries', () => {
    it('src/commands/ imports no route (commands and routes call the same read functions in src/store/read/)', () => {
      const routes = tsFiles(join(SRC, 'commands')).flatMap((f) => importsOf(f).filter((t) => /^api\/.*-route\.js$/.test(t)).map((t) => `${relative(SRC, f)} → ${t}`));
      expect(routes).toEqual([]);
    });

    it('src/api/ holds no SQL (routes parse, scope and answer)', () => {
      const sql = tsFiles(join(SRC, 'api')).filter((f) => /\bSELECT\b[\s\S]*\bFROM\b/.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
      expect(sql).toEqual([]);
    });
  });
});
