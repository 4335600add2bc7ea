import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpillQueue } from '../../src/store/spill-queue.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agt-spill-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SpillQueue', () => {
  it('gives chunks back oldest first with their keys and rows, and removes the file once empty', async () => {
    const budget = { used: 0, max: 1_000_000 };
    const q = new SpillQueue(dir, 'spans', budget);
    expect(q.push(Buffer.from('{"a":1}\n{"a":2}\n'), ['k1', 'k2'], 2)).toBe(true);
    expect(q.push(Buffer.from('{"a":3}\n'), ['k3'], 1)).toBe(true);
    expect(q.rows).toBe(3);
    expect(budget.used).toBe(24);
    const first = await q.shift();
    expect(first).toEqual({ body: Buffer.from('{"a":1}\n{"a":2}\n'), keys: ['k1', 'k2'], rows: 2 });
    expect(existsSync(join(dir, 'spans.spill'))).toBe(true);
    const second = await q.shift();
    expect(second?.body.toString()).toBe('{"a":3}\n');
    expect(await q.shift()).toBeNull();
    expect(existsSync(join(dir, 'spans.spill'))).toBe(false);
    expect(budget.used).toBe(0);
    expect(q.rows).toBe(0);
  });

  it('refuses a chunk past the shared budget and keeps nothing of it', () => {
    const budget = { used: 0, max: 20 };
    const a = new SpillQueue(dir, 'spans', budget);
    const b = new SpillQueue(dir, 'sessions', budget);
    expect(a.push(Buffer.from('x'.repeat(15)), ['k'], 1)).toBe(true);
    expect(b.push(Buffer.from('y'.repeat(10)), ['j'], 1)).toBe(false);
    expect(b.size).toBe(0);
    expect(budget.used).toBe(15);
  });

  it('keeps the file when a chunk is pushed while the last one is being read', async () => {
    const q = new SpillQueue(dir, 'spans', { used: 0, max: 1_000 });
    q.push(Buffer.from('one\n'), ['a'], 1);
    const reading = q.shift();
    q.push(Buffer.from('two\n'), ['b'], 1);
    expect((await reading)?.body.toString()).toBe('one\n');
    expect((await q.shift())?.body.toString()).toBe('two\n');
  });

  it('reset empties a directory left by an earlier process', () => {
    writeFileSync(join(dir, 'spans.spill'), 'stale');
    SpillQueue.reset(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});
