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

/**
 * The rule of the house (README "Where things live"): a folder or root file imports only what is below it in this
 * list; `model/` (the values that cross stages) is at the bottom and imports nothing of ours.
 */
export const LAYERS: readonly string[] = [
  'cli.ts',
  'main',
  'simulate',
  'commands',
  'api',
  'shared',
  'logs',
  'metrics',
  'sessions',
  'sampling',
  'redaction',
  'receive',
  'store',
  'durability',
  'pricing',
  'config',
  'conventions',
  'otlp',
  'log.ts',
  'crashpoints.ts',
  'metric-tally.ts',
  'prng.ts',
  'version.ts',
  'model',
];

/** The top-level folder or root file a src-relative path belongs to. */
function unitOf(srcRelative: string): string {
  const first = srcRelative.split('/')[0]!;
  return srcRelative.includes('/') ? first : first.replace(/\.js$/, '.ts');
}

/** Every import between two units, as `from → to (file → target)`. */
function unitImports(): { from: string; to: string; where: string }[] {
  return tsFiles(SRC).flatMap((f) => {
    const from = unitOf(relative(SRC, f));
    return importsOf(f)
      .map((target) => ({ from, to: unitOf(target), where: `${relative(SRC, f)} → ${target}` }))
      .filter((e) => e.from !== e.to);
  });
}

/** The imports that go up the list (or to a unit the list does not name). */
function backward(edges: readonly { from: string; to: string; where: string }[]): string[] {
  return edges.filter((e) => !(LAYERS.indexOf(e.from) >= 0 && LAYERS.indexOf(e.to) > LAYERS.indexOf(e.from))).map((e) => e.where);
}

/** Units on a cycle of the unit graph (none when every import goes down a list). */
function cycles(edges: readonly { from: string; to: string }[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) (next.get(e.from) ?? next.set(e.from, new Set()).get(e.from)!).add(e.to);
  const reaches = (a: string, b: string): boolean => {
    const seen = new Set<string>();
    const stack = [a];
    while (stack.length > 0) {
      for (const n of next.get(stack.pop()!) ?? []) {
        if (n === b) return true;
        if (seen.has(n)) continue;
        seen.add(n);
        stack.push(n);
      }
    }
    return false;
  };
  return [...new Set(edges.filter((e) => reaches(e.to, e.from)).map((e) => `${e.from} ⇄ ${e.to}`))];
}

/**
 * Imports between the parts of one top-level folder: its sub-folders, and `.` for the files directly in it. The
 * folder graph has no cycle at this level either (issue 29): e.g. sampling's root (the engine) above `policies/`,
 * above `detectors/`, above `sketches/` and `basis/`.
 */
function subUnitImports(): { from: string; to: string; where: string }[] {
  const partOf = (srcRelative: string): string | null => {
    const parts = srcRelative.split('/');
    if (parts.length < 2) return null;
    return parts.length === 2 ? `${parts[0]}/.` : `${parts[0]}/${parts[1]}`;
  };
  return tsFiles(SRC).flatMap((f) => {
    const from = partOf(relative(SRC, f));
    if (from === null) return [];
    return importsOf(f)
      .map((target) => ({ from, to: partOf(target) ?? '', where: `${relative(SRC, f)} → ${target}` }))
      .filter((e) => e.to !== '' && e.from !== e.to && e.from.split('/')[0] === e.to.split('/')[0]);
  });
}

describe('layout', () => {
  describe('the unit graph', () => {
    it('has no cycle between the sub-folders (and root files) of one folder either', () => {
      const edges = subUnitImports();
      expect(edges.length).toBeGreaterThan(5);
      expect(cycles(edges)).toEqual([]);
    });

    const edges = unitImports();

    it('names every folder and root file of src/ in the list', () => {
      const units = new Set(readdirSync(SRC).map((n) => n.replace(/\.js$/, '.ts')));
      expect([...units].filter((u) => !LAYERS.includes(u))).toEqual([]);
    });

    it('has no import that goes up the list, so no cycle', () => {
      expect(backward(edges)).toEqual([]);
      expect(cycles(edges)).toEqual([]);
    });

    it('has no file over 400 lines (a file that grows past it holds more than one job)', () => {
      const long = tsFiles(SRC).filter((f) => readFileSync(f, 'utf8').split('\n').length > 401).map((f) => relative(SRC, f));
      expect(long).toEqual([]);
    });

    it('src/model/ imports nothing of ours', () => {
      expect(edges.filter((e) => e.from === 'model').map((e) => e.where)).toEqual([]);
    });

    it('would name a backward import and the cycle it makes', () => {
      const planted = [...edges, { from: 'store', to: 'sampling', where: 'store/x.ts → sampling/types.js' }];
      expect(backward(planted)).toEqual(['store/x.ts → sampling/types.js']);
      expect(cycles(planted)).toContain('store ⇄ sampling');
    });
  });


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
