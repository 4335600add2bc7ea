/**
 * Issue 25 point 6: the README said `agenttail costs`, but after `npm install` there is no `agenttail` on the PATH.
 * Every CLI command in README.md, docs/ and bench/README.md is written `npx agenttail <command>`, and each one, with
 * every flag it shows, runs through npx from the checkout (the package's own `bin`; needs `npm run build`).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GROUP_COLUMNS } from '../../src/store/read/costs.js';

const ROOT = join(import.meta.dirname, '..', '..');
const COMMANDS = ['serve', 'simulate', 'migrate', 'costs', 'residency', 'reprice', 'hash-key'];
const DOCS = ['README.md', 'bench/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

function npx(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  return new Promise((resolve) => {
    execFile('npx', ['agenttail', ...args], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout) => resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), stdout }));
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
      expect(r.code, `npx agenttail ${command} --help`).toBe(0);
      helps.set(command, r.stdout);
    }
    // The README's groupBy list (test/unit/groupby-docs.test.ts) is the one `costs --help` offers.
    expect(helps.get('costs')).toContain(Object.keys(GROUP_COLUMNS).join(','));
    const unknown = found.flatMap((s) => s.flags.filter((f) => !helps.get(s.command)!.includes(f)).map((f) => `${s.file}: npx agenttail ${s.command} ${f}`));
    expect(unknown).toEqual([]);
  }, 120_000);
});
