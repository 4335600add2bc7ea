import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { WriteAheadLog } from '../../src/durability/wal/write-ahead-log.js';

describe('WriteAheadLog', () => {
  describe('replay after SIGKILL', () => {
    it('returns every acknowledged record of a writer killed mid-append', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'agt-wal-crash-'));
      try {
        const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'wal-crash-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        await new Promise<void>((resolve, reject) => {
          child.on('error', reject);
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.split('\n').length > 300) child.kill('SIGKILL');
          });
          child.on('exit', () => resolve());
        });
        const acked = out.split('\n').slice(0, -1).map(Number);
        // Killed once 300 lines were complete; the last piece (possibly a partial line) is left out.
        expect(acked.length).toBeGreaterThanOrEqual(300);
        const wal = await WriteAheadLog.open({ dir, durability: 'fsync', log: silentLogger() });
        const seen = new Set<number>();
        const report = await wal.replay((lsn, r) => {
          expect(r.type).toBe('request');
          seen.add(lsn);
        });
        await wal.close();
        for (const lsn of acked) expect(seen.has(lsn)).toBe(true);
        expect(report.corrupt).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 30_000);
  });
});
