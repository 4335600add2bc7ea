import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { colourAllowed, newTable } from '../../src/commands/table.js';
import { formatReport } from '../../src/simulate/format.js';
import type { SimulateResult } from '../../src/simulate/run.js';

const ANSI = new RegExp(String.fromCharCode(27) + '\\[');
const tty = Object.assign(new PassThrough(), { isTTY: true });

describe('newTable', () => {
  it('writes no ANSI escapes to a pipe', () => {
    const t = newTable(new PassThrough(), ['a', 'b'], {});
    t.push(['1', '2']);
    expect(t.toString()).not.toMatch(ANSI);
    expect(t.toString()).toContain(' a ');
  });

  it('colours a terminal, unless NO_COLOR is set or TERM is dumb', () => {
    // The table's own styles, not the rendered text: whether cli-table3's colour library then emits escapes also
    // depends on the process's real stdout (it stays plain under CI without a terminal).
    const styleOf = (env: NodeJS.ProcessEnv): { head: string[]; border: string[] } =>
      (newTable(tty, ['a'], env) as unknown as { options: { style: { head: string[]; border: string[] } } }).options.style;
    expect(styleOf({}).head.length).toBeGreaterThan(0);
    expect(styleOf({}).border.length).toBeGreaterThan(0);
    expect(styleOf({ NO_COLOR: '1' })).toMatchObject({ head: [], border: [] });
    expect(styleOf({ TERM: 'dumb' })).toMatchObject({ head: [], border: [] });
    expect(colourAllowed(tty, { NO_COLOR: '' })).toBe(true); // no-color.org: only a non-empty value counts
    expect(colourAllowed(new PassThrough(), {})).toBe(false);
  });
});

describe('formatReport', () => {
  it('prints the simulate report without ANSI escapes when piped', () => {
    const result = {
      runId: 'r',
      report: { sessionsSent: 1, sessionsDecided: 1, costSentUsd: 1, costAccountedUsd: 1, missing: [], lines: [{ label: 'ordinary', sent: 1, decided: 1, kept: 0, keptShare: 0 }] },
      sendStats: { requests: 1, refusals: 0, failures: 0 },
    } as unknown as SimulateResult;
    const text = formatReport(result, new PassThrough());
    expect(text).toContain('ordinary');
    expect(text).not.toMatch(ANSI);
  });
});
