import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCgroupMemoryLimit, resolveRssCap } from '../../src/receive/memory-limit.js';

const dir = mkdtempSync(join(tmpdir(), 'agt-cgroup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake cgroup v2 `memory.max` holding `content`. */
function memoryMax(content: string): string {
  const path = join(dir, `memory.max.${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, content);
  return path;
}

describe('readCgroupMemoryLimit', () => {
  it('reads the limit in bytes', () => {
    expect(readCgroupMemoryLimit(memoryMax('1073741824\n'))).toBe(1_073_741_824);
  });

  it('is null for "max" (no limit), a missing file, or content that is not a byte count', () => {
    expect(readCgroupMemoryLimit(memoryMax('max\n'))).toBeNull();
    expect(readCgroupMemoryLimit(join(dir, 'absent'))).toBeNull();
    expect(readCgroupMemoryLimit(memoryMax('12abc'))).toBeNull();
    expect(readCgroupMemoryLimit(memoryMax('0\n'))).toBeNull();
  });
});

describe('resolveRssCap', () => {
  it('takes 80 % of the cgroup limit under auto', () => {
    expect(resolveRssCap('auto', memoryMax('1000000000\n'))).toEqual({ bytes: 800_000_000, source: 'cgroup', cgroupLimitBytes: 1_000_000_000 });
  });

  it('is off under auto without a cgroup limit', () => {
    expect(resolveRssCap('auto', memoryMax('max\n'))).toEqual({ bytes: 0, source: 'off', cgroupLimitBytes: null });
    expect(resolveRssCap('auto', join(dir, 'absent'))).toEqual({ bytes: 0, source: 'off', cgroupLimitBytes: null });
  });

  it('falls back to the cgroup v1 limit when there is no v2 file; a v2 "max" or v1 "unlimited" is no limit', () => {
    const v1 = memoryMax('536870912\n');
    expect(resolveRssCap('auto', [join(dir, 'absent'), v1])).toEqual({ bytes: Math.floor(536_870_912 * 0.8), source: 'cgroup', cgroupLimitBytes: 536_870_912 });
    expect(resolveRssCap('auto', [memoryMax('max\n'), v1])).toEqual({ bytes: 0, source: 'off', cgroupLimitBytes: null });
    expect(resolveRssCap('auto', [join(dir, 'absent'), memoryMax('9223372036854771712\n')])).toEqual({ bytes: 0, source: 'off', cgroupLimitBytes: null });
  });

  it('takes an explicit number as is, whatever the cgroup says; 0 is off', () => {
    const limited = memoryMax('1000000000\n');
    expect(resolveRssCap(123_456_789, limited)).toEqual({ bytes: 123_456_789, source: 'config' });
    expect(resolveRssCap(0, limited)).toEqual({ bytes: 0, source: 'off' });
  });
});
