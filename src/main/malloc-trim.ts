/**
 * Hands the malloc heap's free pages back to the OS once a loaded process goes idle (issue 30, point 3). glibc keeps
 * what a burst freed: request frames, compiler zones and many small native allocations stay mapped, and glibc gives
 * back only the top of its main heap by itself. Measured at the end of `bench/buffered-rss.ts --phases cap` (every
 * session decided and written, the idle collection run): the main heap (`[heap]` in /proc/<pid>/smaps) at 102–132 MiB
 * without a trim, 14–18 MiB with one, and RSS 479–533 against 412–444 MiB. `malloc_trim(0)` releases whole free pages
 * inside the heap and in every arena (glibc ≥ 2.8). It runs on the libuv thread pool (native/malloc-trim.c), but it
 * holds each arena's lock while it walks it and the main thread's own mallocs wait for that: a trim of a 650 MiB
 * fragmented heap took ~190 ms, and a Buffer allocated meanwhile waited as long. So it runs once the process is idle
 * (src/main/idle-gc.ts), where kept trimmed the heap is small and a trim short, and after the full collection forced
 * while over the memory line (at most every 2 s, src/receive/overload.ts), where requests are being refused anyway
 * and getting under the resume line is what matters: in the cap bench at 2× overload the collector accepted 5.2–6.6K
 * spans/s with it (four runs) and 0–2.2K without (six: RSS stayed above the resume line).
 *
 * The native part is built by `npm run build` (scripts/build-native.mjs) where a C compiler and Node's headers are
 * present. Without it (a slim image, no glibc) the trim is unavailable: said once at start and by
 * `agenttail_process_malloc_trim_available` 0; nothing else changes.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge, type Registry } from 'prom-client';

/** A trim of the malloc heap; `available` false when the native part is not built here. */
export interface MallocTrim {
  readonly available: boolean;
  /** Why not available ('' when it is). */
  readonly reason: string;
  /** Starts a trim unless one is running; resolves to whether it released memory (false when unavailable or skipped). */
  trim(): Promise<boolean>;
}

interface NativeTrim {
  trim(): Promise<boolean>;
}

/** Where `npm run build` puts the native part: dist/native/ of the package root, from src/main or dist/main alike. */
export const NATIVE_TRIM_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'native', 'malloc-trim.node');

/** Loads the native trim; `path` for tests. */
export function loadMallocTrim(registry: Registry, path: string = NATIVE_TRIM_PATH): MallocTrim {
  let native: NativeTrim | null = null;
  let reason = '';
  if (!existsSync(path)) {
    reason = `${path} is not built (npm run build needs a C compiler and Node's headers, on glibc)`;
  } else {
    try {
      native = createRequire(import.meta.url)(path) as NativeTrim;
    } catch (err) {
      reason = `${path} does not load: ${(err as Error).message}`;
    }
  }
  new Gauge({ name: 'agenttail_process_malloc_trim_available', help: 'Whether the malloc heap can be trimmed (1: the native part is built and loaded, src/main/malloc-trim.ts)', registers: [registry] }).set(native === null ? 0 : 1);
  const trims = new Counter({
    name: 'agenttail_process_malloc_trims_total',
    help: 'malloc_trim(0) runs (the malloc heap’s free pages handed back to the OS once idle or over the memory limit), by whether they released memory',
    labelNames: ['released'],
    registers: [registry],
  });
  let running: Promise<boolean> | null = null;
  return {
    available: native !== null,
    reason,
    trim(): Promise<boolean> {
      if (native === null) return Promise.resolve(false);
      if (running !== null) return running;
      const run = native.trim().then(
        (released) => {
          trims.inc({ released: String(released) });
          return released;
        },
        () => false,
      );
      running = run.finally(() => {
        running = null;
      });
      return running;
    },
  };
}
