/** One cgroup interface file as text (`memory.max`, `cpu.max`, …), trimmed; undefined when it cannot be read (no cgroup, no such version). */
import { readFileSync } from 'node:fs';

export function readCgroupFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
