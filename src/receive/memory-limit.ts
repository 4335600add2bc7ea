/**
 * The process memory cap (`receive.overload.maxRssBytes`) resolved at startup: an explicit number of bytes (0 = off),
 * or `auto` = a share of the cgroup v2 memory limit the container runs under, so a collector in a memory-limited
 * container refuses retryably before the kernel's OOM killer ends it.
 */
import { readFileSync } from 'node:fs';

/** Where cgroup v2 exposes the memory limit of the process's own cgroup (inside a container: the container's). */
export const CGROUP_MEMORY_MAX_PATH = '/sys/fs/cgroup/memory.max';

/** Share of the cgroup limit taken as the cap under `auto`: headroom for what RSS does not show promptly (page cache, allocator slack). */
export const AUTO_CAP_RATIO = 0.8;

/** The cap in bytes (0 = off) and where it came from. */
export interface ResolvedRssCap {
  bytes: number;
  source: 'config' | 'cgroup' | 'off';
  /** Under `auto`: the cgroup limit read, or null when there is none (no file, `max`, unreadable). */
  cgroupLimitBytes?: number | null;
}

/** The cgroup v2 memory limit in bytes, or null when none is set (`max`), the file is absent (cgroup v1, no container) or unreadable. */
export function readCgroupMemoryLimit(path: string = CGROUP_MEMORY_MAX_PATH): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
  if (!/^\d+$/.test(text)) return null;
  const bytes = Number(text);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

/** Resolves the config value: a number is taken as is; `auto` is AUTO_CAP_RATIO of the cgroup limit, or off without one. */
export function resolveRssCap(setting: number | 'auto', cgroupMemoryMaxPath: string = CGROUP_MEMORY_MAX_PATH): ResolvedRssCap {
  if (setting !== 'auto') return { bytes: setting, source: setting > 0 ? 'config' : 'off' };
  const limit = readCgroupMemoryLimit(cgroupMemoryMaxPath);
  if (limit === null) return { bytes: 0, source: 'off', cgroupLimitBytes: null };
  return { bytes: Math.floor(limit * AUTO_CAP_RATIO), source: 'cgroup', cgroupLimitBytes: limit };
}
