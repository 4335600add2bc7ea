/**
 * Fault injection for the crash tests (test/integration/crash-recovery.test.ts): with
 * `AGT_CRASH_AT=<point>:<n>` in the environment, the process SIGKILLs itself the n-th time it passes
 * `<point>`, so a test can stop it exactly between two steps of the durability protocol. Unset (always, in
 * production) every call is one comparison. The points are named where they are called.
 */
export type CrashPoint = 'wal-write' | 'wal-synced' | 'store-inserted' | 'decision-logged';

/** Points where a part of the process, not the process, is made to fail (a decode worker: `decode-worker:<n>`). */
export type PartCrashPoint = 'decode-worker';

const spec = parse(process.env.AGT_CRASH_AT);
let passed = 0;

function parse(value: string | undefined): { point: string; n: number } | null {
  if (value === undefined || value === '') return null;
  const m = /^([a-z-]+):(\d+)$/.exec(value);
  if (m === null) throw new Error(`AGT_CRASH_AT must look like "<point>:<n>", got "${value}"`);
  return { point: m[1]!, n: Number(m[2]) };
}

/** Kills the process here when the environment asks for it (see above). */
export function crashPoint(point: CrashPoint): void {
  if (spec === null || spec.point !== point) return;
  if (++passed >= spec.n) process.kill(process.pid, 'SIGKILL');
}

/**
 * True exactly once, the n-th time the process passes `point` (see above): the caller makes that part fail (the
 * n-th request handed to the decode workers ends its worker, as a crash would). Unset, always false.
 */
export function partCrashDue(point: PartCrashPoint): boolean {
  if (spec === null || spec.point !== point) return false;
  return ++passed === spec.n;
}
