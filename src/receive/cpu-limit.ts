/**
 * The cores this process may use, for `receive.decodeWorkers: auto`: what `os.availableParallelism()` says (the CPUs
 * the process may run on), or the cgroup CPU quota when that is lower. A container limited to 1.5 CPUs on a 16-core
 * host may run on all 16 but only gets the time of 1.5; workers sized by the host would only take turns.
 */
import { readCgroupFile } from './cgroup-file.js';

/** cgroup v2: `<quota µs|max> <period µs>` of the process's own cgroup (inside a container: the container's). */
export const CGROUP_CPU_MAX_PATH = '/sys/fs/cgroup/cpu.max';
/** cgroup v1: the quota (-1 = none) and its period, in µs. */
export const CGROUP_V1_CPU_QUOTA_PATH = '/sys/fs/cgroup/cpu/cpu.cfs_quota_us';
export const CGROUP_V1_CPU_PERIOD_PATH = '/sys/fs/cgroup/cpu/cpu.cfs_period_us';

export interface CpuLimitPaths {
  v2: string;
  v1Quota: string;
  v1Period: string;
}

const DEFAULT_PATHS: CpuLimitPaths = { v2: CGROUP_CPU_MAX_PATH, v1Quota: CGROUP_V1_CPU_QUOTA_PATH, v1Period: CGROUP_V1_CPU_PERIOD_PATH };

/** quota / period as whole cores (rounded up, at least 1), or null for no quota or a value that does not read as one. */
function quotaCores(quota: string, period: string): number | null {
  if (!/^\d+$/.test(quota) || !/^\d+$/.test(period)) return null;
  const q = Number(quota);
  const p = Number(period);
  if (q <= 0 || p <= 0) return null;
  return Math.max(1, Math.ceil(q / p));
}

/**
 * The cgroup CPU quota in whole cores (v2, else v1), or null when none is set (`max`, -1), no file exists (no
 * cgroup, no container) or it cannot be read. The first version whose file exists decides.
 */
export function readCgroupCpuLimit(paths: CpuLimitPaths = DEFAULT_PATHS): number | null {
  const v2 = readCgroupFile(paths.v2);
  if (v2 !== undefined) {
    const [quota = '', period = ''] = v2.split(/\s+/);
    return quotaCores(quota, period);
  }
  const quota = readCgroupFile(paths.v1Quota);
  const period = readCgroupFile(paths.v1Period);
  if (quota === undefined || period === undefined) return null;
  return quotaCores(quota, period);
}

/** The cores the process may use: `available` (`os.availableParallelism()`), or the cgroup CPU quota when lower. */
export function usableCores(available: number, paths: CpuLimitPaths = DEFAULT_PATHS): number {
  const limit = readCgroupCpuLimit(paths);
  return limit === null ? available : Math.min(available, limit);
}
