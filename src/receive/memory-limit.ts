/**
 * The process memory cap (`receive.overload.maxRssBytes`) resolved at startup: an explicit number of bytes (0 = off),
 * or `auto` = a share of the cgroup memory limit the container runs under (v2, else v1), so a collector in a memory-limited
 * container refuses retryably before the kernel's OOM killer ends it.
 */
import { readCgroupFile } from './cgroup-file.js';

/** Where cgroup v2 exposes the memory limit of the process's own cgroup (inside a container: the container's). */
export const CGROUP_MEMORY_MAX_PATH = '/sys/fs/cgroup/memory.max';
/** The same under cgroup v1 (no limit reads as a near-2^63 number, which is not a safe integer: none). */
export const CGROUP_V1_MEMORY_LIMIT_PATH = '/sys/fs/cgroup/memory/memory.limit_in_bytes';
/** Tried in order; the first file that exists decides (a v2 `max` is no limit, whatever a v1 path says). */
export const CGROUP_MEMORY_LIMIT_PATHS: readonly string[] = [CGROUP_MEMORY_MAX_PATH, CGROUP_V1_MEMORY_LIMIT_PATH];

/** Share of the cgroup limit taken as the cap under `auto`: headroom for what RSS does not show promptly (page cache, allocator slack). */
export const AUTO_CAP_RATIO = 0.8;

/** The cap in bytes (0 = off) and where it came from. */
export interface ResolvedRssCap {
  bytes: number;
  source: 'config' | 'cgroup' | 'off';
  /** Under `auto`: the cgroup limit read, or null when there is none (no file, `max`, unreadable). */
  cgroupLimitBytes?: number | null;
}

/** The cgroup memory limit in bytes, or null when none is set (`max`), the file is absent (no cgroup, no container) or unreadable. */
export function readCgroupMemoryLimit(path: string = CGROUP_MEMORY_MAX_PATH): number | null {
  return readLimitFile(path) ?? null;
}

/** As readCgroupMemoryLimit, but `undefined` when the file cannot be read at all (so the next path is tried). */
function readLimitFile(path: string): number | null | undefined {
  const text = readCgroupFile(path);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) return null;
  const bytes = Number(text);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

/** Resolves the config value: a number is taken as is; `auto` is AUTO_CAP_RATIO of the cgroup limit, or off without one. */
export function resolveRssCap(setting: number | 'auto', cgroupPaths: string | readonly string[] = CGROUP_MEMORY_LIMIT_PATHS): ResolvedRssCap {
  if (setting !== 'auto') return { bytes: setting, source: setting > 0 ? 'config' : 'off' };
  let limit: number | null = null;
  for (const path of typeof cgroupPaths === 'string' ? [cgroupPaths] : cgroupPaths) {
    const read = readLimitFile(path);
    if (read === undefined) continue;
    limit = read;
    break;
  }
  if (limit === null) return { bytes: 0, source: 'off', cgroupLimitBytes: null };
  return { bytes: Math.floor(limit * AUTO_CAP_RATIO), source: 'cgroup', cgroupLimitBytes: limit };
}
