/**
 * Closing the embedded store (src/store/store-client.ts embeddedConnection): chDB's own close returns at once and
 * defers releasing the engine while a statement still runs on it. The store's close returns only once the engine is
 * released, so a process that exits right after it (the CLI after "shutdown complete") does not tear the engine down
 * under a statement, and a second engine at another path opens at once (chDB refuses it until the first is released).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeSchema } from '../../src/config/store.js';
import { createStoreClient } from '../../src/store/store-client.js';
import { queryDataDir } from '../support/collector-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs a TypeScript file as a child process; how it ended (a timeout ends it by SIGTERM) and what it printed. */
function runChild(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', ...args], { timeout: 60_000 }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
  });
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'agt-close-'));
  dirs.push(d);
  return d;
}

describe('closing the embedded store', () => {
  it('returns once the engine is released, with a statement still running when it is called', async () => {
    const first = await createStoreClient(storeSchema.parse({ kind: 'embedded', path: tempDir() }));
    await first.command({ query: 'SELECT 1' });
    // ~2 s of engine work on this machine (a second or more anywhere): still running when close is called.
    let settled = false;
    const running = first
      .query({ query: 'SELECT count() AS n FROM numbers(200000000) WHERE sipHash64(number) % 7 = 1', format: 'JSONEachRow' })
      .then((r) => r.json<{ n: string }>())
      .finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    await first.close();
    // The engine is free: another data directory opens in this process at once (without the wait, chDB refuses:
    // "a closed session at … is still releasing its connection").
    const second = await createStoreClient(storeSchema.parse({ kind: 'embedded', path: tempDir() }));
    const r = await second.query({ query: 'SELECT 42 AS v', format: 'JSONEachRow' });
    expect(await r.json()).toEqual([{ v: 42 }]);
    await second.close();
    // The statement ran to its end; the close did not cut it off.
    expect(Number((await running)[0]!.n)).toBeGreaterThan(0);
  }, 60_000);

  it('lets a process exit cleanly right after closing under a running insert, with every row stored', async () => {
    // 20M rows take ~3 s here. Before the close waited (ba49d86), such a child ended by SIGSEGV or SIGABRT, or hung,
    // in 10 runs of 10 on this machine: chdb-node's atexit backstop tore the engine down under the insert.
    const ROWS = 20_000_000;
    for (let run = 0; run < 2; run++) {
      const dir = tempDir();
      const child = await runChild([join(import.meta.dirname, 'store-close-exit.ts'), dir, String(ROWS)]);
      // On failure, the signal that ended it and its last words.
      expect({ code: child.code, signal: child.signal }, child.stderr.slice(-500)).toEqual({ code: 0, signal: null });
      expect(JSON.parse(child.stdout)).toEqual({ runningAtClose: true });
      const [[count]] = await queryDataDir<{ n: string | number }>(dir, ['SELECT count() AS n FROM default.t']);
      expect(Number(count!.n)).toBe(ROWS);
    }
  }, 120_000);
});
