/**
 * Closing the embedded store (src/store/store-client.ts embeddedConnection): chDB's own close returns at once and
 * defers releasing the engine while a statement still runs on it. The store's close returns only once the engine is
 * released, so a process that exits right after it (the CLI after "shutdown complete") does not tear the engine down
 * under a statement, and a second engine at another path opens at once (chDB refuses it until the first is released).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeSchema } from '../../src/config/store.js';
import { createStoreClient } from '../../src/store/store-client.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

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
});
