/** The cores `receive.decodeWorkers: auto` counts (src/receive/cpu-limit.ts): the CPUs available, or a lower cgroup CPU quota. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWorkerCount } from '../../src/config/receive.js';
import { readCgroupCpuLimit, usableCores, type CpuLimitPaths } from '../../src/receive/cpu-limit.js';

/** Fake cgroup files in a temp dir; an absent entry is a file that does not exist. */
function cgroup(files: { v2?: string; v1Quota?: string; v1Period?: string }): CpuLimitPaths {
  const dir = mkdtempSync(join(tmpdir(), 'agt-cpu-'));
  const paths = { v2: join(dir, 'cpu.max'), v1Quota: join(dir, 'cpu.cfs_quota_us'), v1Period: join(dir, 'cpu.cfs_period_us') };
  for (const key of ['v2', 'v1Quota', 'v1Period'] as const) {
    const text = files[key];
    if (text !== undefined) writeFileSync(paths[key], `${text}\n`);
  }
  return paths;
}

describe('usable cores', () => {
  it('reads a cgroup v2 quota as whole cores, rounded up; max is none', () => {
    expect(readCgroupCpuLimit(cgroup({ v2: '150000 100000' }))).toBe(2);
    expect(readCgroupCpuLimit(cgroup({ v2: '400000 100000' }))).toBe(4);
    expect(readCgroupCpuLimit(cgroup({ v2: '50000 100000' }))).toBe(1);
    expect(readCgroupCpuLimit(cgroup({ v2: 'max 100000' }))).toBeNull();
    expect(readCgroupCpuLimit(cgroup({ v2: 'garbage' }))).toBeNull();
  });

  it('reads cgroup v1 when there is no v2 file; -1 is none; v2 decides when both exist', () => {
    expect(readCgroupCpuLimit(cgroup({ v1Quota: '200000', v1Period: '100000' }))).toBe(2);
    expect(readCgroupCpuLimit(cgroup({ v1Quota: '-1', v1Period: '100000' }))).toBeNull();
    expect(readCgroupCpuLimit(cgroup({ v2: 'max 100000', v1Quota: '100000', v1Period: '100000' }))).toBeNull();
    expect(readCgroupCpuLimit(cgroup({}))).toBeNull();
  });

  it('takes the lower of the CPUs available and the quota, and auto sizes the workers from it', () => {
    expect(usableCores(16, cgroup({ v2: '150000 100000' }))).toBe(2);
    expect(usableCores(2, cgroup({ v2: '800000 100000' }))).toBe(2);
    expect(usableCores(8, cgroup({}))).toBe(8);
    // A 16-core host, a container of 1.5 CPUs: no workers (they would only take turns with the main thread).
    expect(decodeWorkerCount('auto', usableCores(16, cgroup({ v2: '150000 100000' })))).toBe(0);
    expect(decodeWorkerCount('auto', usableCores(16, cgroup({ v2: '600000 100000' })))).toBe(4);
  });
});
