/**
 * The native malloc trim (src/main/malloc-trim.ts, native/malloc-trim.c), built by `npm run build` on this glibc
 * machine: loaded, it hands freed malloc memory back to the OS (RSS measured in a child process, where nothing else
 * allocates); missing, it says why and trims nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { NATIVE_TRIM_PATH, loadMallocTrim } from '../../src/main/malloc-trim.js';

describe('malloc trim', () => {
  it('is built here (npm run build on glibc with a C compiler) and hands freed malloc memory back to the OS', () => {
    expect(existsSync(NATIVE_TRIM_PATH), `${NATIVE_TRIM_PATH}: run npm run build`).toBe(true);
    // 200,000 small Buffers (malloc'd outside V8's heap), freed, collected: glibc keeps the pages until the trim.
    const child = `
      const m = require(${JSON.stringify(NATIVE_TRIM_PATH)});
      let bufs = [];
      for (let i = 0; i < 200000; i++) bufs.push(Buffer.alloc(1000 + (i % 7) * 100));
      bufs = null;
      global.gc(); global.gc();
      setTimeout(async () => {
        global.gc();
        const before = process.memoryUsage().rss;
        const released = await m.trim();
        console.log(JSON.stringify({ before, after: process.memoryUsage().rss, released }));
      }, 100);`;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', child], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { before, after, released } = JSON.parse(r.stdout) as { before: number; after: number; released: boolean };
    expect(released).toBe(true);
    // ~250 MB freed: most of it goes back.
    expect(before - after).toBeGreaterThan(100 * 1024 * 1024);
  });

  it('trims through the loader and counts it; one trim at a time', async () => {
    const registry = new Registry();
    const t = loadMallocTrim(registry);
    expect(t.available).toBe(true);
    expect((await registry.getSingleMetric('agenttail_process_malloc_trim_available')!.get()).values[0]!.value).toBe(1);
    const a = t.trim();
    expect(t.trim()).toBe(a); // the running one
    expect(typeof (await a)).toBe('boolean');
    const counted = (await registry.getSingleMetric('agenttail_process_malloc_trims_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    expect(counted).toBe(1);
  });

  it('without the native part: unavailable, says why, trims nothing', async () => {
    const registry = new Registry();
    const t = loadMallocTrim(registry, '/nonexistent/malloc-trim.node');
    expect(t.available).toBe(false);
    expect(t.reason).toContain('is not built');
    expect(await t.trim()).toBe(false);
    expect((await registry.getSingleMetric('agenttail_process_malloc_trim_available')!.get()).values[0]!.value).toBe(0);
  });
});
