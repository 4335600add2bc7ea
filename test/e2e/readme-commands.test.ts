/**
 * Issue 25 point 6: the README said `agenttail costs`, but after `npm install` there is no `agenttail` on the PATH.
 * Every CLI command in README.md, docs/ and bench/README.md is written `npx agenttail <command>`, and each one, with
 * every flag it shows, runs through npx from the checkout (the package's own `bin`; needs `npm run build`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GROUP_COLUMNS } from '../../src/store/read/costs.js';

const ROOT = join(import.meta.dirname, '..', '..');
const COMMANDS = ['serve', 'simulate', 'migrate', 'costs', 'residency', 'reprice', 'hash-key'];
const DOCS = ['README.md', 'bench/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/**
 * npx links the checkout's own bin into its cache (`_npx/<hash of the path>`) the first time and reuses that link
 * after. A cache of its own per run, as on a machine that never ran npx here: a link left by an earlier run (made
 * before `dist/` was built, say) cannot decide the result. CI once saw `sh: agenttail: not found` (127) here.
 */
const NPM_CACHE = mkdtempSync(join(tmpdir(), 'agt-npx-cache-'));
afterAll(() => rmSync(NPM_CACHE, { recursive: true, force: true }));

function npx(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_cache: NPM_CACHE };
  return new Promise((resolve) => {
    execFile('npx', ['agenttail', ...args], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), stdout, stderr }),
    );
  });
}

/** Each `npx agenttail <command> …` snippet of the docs: the command and the flags it shows. */
function snippets(): { file: string; command: string; flags: string[] }[] {
  const out: { file: string; command: string; flags: string[] }[] = [];
  for (const file of DOCS) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    // Up to the closing backtick, the end of a code-block line, or a comment.
    for (const m of text.matchAll(/npx agenttail ([a-z-]+)([^`\n#]*(?:\n[ \t]+[^`\n#]*)?)/g)) {
      out.push({ file, command: m[1]!, flags: [...m[2]!.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((f) => f[0]) });
    }
  }
  return out;
}

describe('README and docs commands', () => {
  it('write every agenttail command as npx agenttail', () => {
    const bare: string[] = [];
    for (const file of DOCS) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(new RegExp(`(?<!npx )(?<![\\w/.-])agenttail (${COMMANDS.join('|')})\\b`, 'g'))) bare.push(`${file}: ${m[0]}`);
      expect(text, file).not.toContain('node dist/cli.js simulate');
    }
    expect(bare).toEqual([]);
  });

  it('run through npx from the checkout with every flag they show', async () => {
    const found = snippets();
    expect(found.length).toBeGreaterThanOrEqual(10);
    const helps = new Map<string, string>();
    for (const command of new Set(found.map((s) => s.command))) {
      expect(COMMANDS, command).toContain(command);
      const r = await npx([command, '--help']);
      expect(r.code, `npx agenttail ${command} --help (stderr: ${r.stderr.trim()})`).toBe(0);
      helps.set(command, r.stdout);
    }
    // The README's groupBy list (test/unit/groupby-docs.test.ts) is the one `costs --help` offers.
    expect(helps.get('costs')).toContain(Object.keys(GROUP_COLUMNS).join(','));
    const unknown = found.flatMap((s) => s.flags.filter((f) => !helps.get(s.command)!.includes(f)).map((f) => `${s.file}: npx agenttail ${s.command} ${f}`));
    expect(unknown).toEqual([]);
  }, 120_000);
});
