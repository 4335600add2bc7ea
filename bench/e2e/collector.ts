/**
 * Runs the real collector (`node dist/cli.js serve`) as a child process for the e2e bench, so its CPU and RSS are its
 * own, on test/support/collector-process.ts: temp config (embedded store and WAL in a temp dir, any free ports, short
 * idle timeout, the bench's sampling), optional `--cpu-prof`, SIGTERM stop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deepMerge } from '../../src/config/load.js';
import { startCollectorProcess } from '../../test/support/collector-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CollectorChild {
  grpcTarget: string;
  httpUrl: string;
  pid: number;
  /** Set when the process exited (by itself or by stop()). */
  exited: () => { code: number | null; signal: string | null } | null;
  /** SIGTERM, wait for the graceful shutdown; resolves with the exit code. Removes the temp dir. */
  stop(): Promise<number | null>;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/ (the bench measures the compiled collector). */
export function ensureBuilt(): void {
  const cli = join(ROOT, 'dist', 'cli.js');
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  process.stderr.write('building dist/ (npm run build) …\n');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export interface CollectorOptions {
  /** Merged over the bench defaults (same shape as the YAML config). */
  overrides?: Record<string, unknown>;
  /** Directory for `--cpu-prof` output; no profiling when absent. */
  profileDir?: string;
  /** Extra node flags for the child. */
  nodeArgs?: string[];
}

/**
 * Bench defaults: embedded store in the temp dir, any free ports, info logs (a few lines at start and stop: the
 * listening line carries the ports), 1 s idle timeout, ~10 % kept, no per-tenant budget.
 */
export function benchConfig(dir: string): Record<string, unknown> {
  return {
    logLevel: 'info',
    dataDir: dir,
    store: { kind: 'embedded', path: join(dir, 'clickhouse') },
    wal: { dir: join(dir, 'wal') },
    receive: { grpc: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } },
    sessions: { idleTimeoutMs: 1_000, sweepIntervalMs: 100, maxSessionAgeMs: 60_000 },
    // The generated traffic has ~3 % error, ~2 % low-eval, ~2 % cost-outlier sessions; baseline 4 % tops it up to ~10 %.
    sampling: { baselineRate: 0.04, budget: { enabled: false } },
  };
}

/** What the e2e flags set over benchConfig for one collector phase. */
export interface PhaseSettings {
  idleMs: number;
  bufferBytes: number;
  storeQueueBytes: number;
  baselineRate: number;
  /** `receive.overload.maxRssBytes` (`--rss-cap-mb`); 0 = no cap. */
  rssCapBytes: number;
  /** `receive.decodeWorkers` (`--decode-workers`): `auto` as `serve` runs by default, or a count (0 = main thread). */
  decodeWorkers: 'auto' | number;
}

/** The config overrides of one phase (same shape as the YAML config). */
export function phaseOverrides(s: PhaseSettings): Record<string, unknown> {
  return {
    sessions: { idleTimeoutMs: s.idleMs, maxBufferBytes: s.bufferBytes },
    store: { maxQueueBytes: s.storeQueueBytes },
    sampling: { baselineRate: s.baselineRate },
    // Always explicit: under the default (`auto`) a cgroup memory limit on the bench machine would set a cap.
    receive: { overload: { maxRssBytes: s.rssCapBytes }, decodeWorkers: s.decodeWorkers },
  };
}

export async function startCollector(opts: CollectorOptions = {}): Promise<CollectorChild> {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'agt-e2e-'));
  const nodeArgs = [...(opts.nodeArgs ?? [])];
  if (opts.profileDir !== undefined) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', opts.profileDir);
  const p = await startCollectorProcess(dir, deepMerge(benchConfig(dir), opts.overrides ?? {}), { nodeArgs });
  let exit: { code: number | null; signal: string | null } | null = null;
  void p.exited.then((e) => (exit = e));

  let stopped: Promise<number | null> | null = null;
  return {
    grpcTarget: p.grpcTarget,
    httpUrl: p.httpUrl,
    pid: p.child.pid!,
    exited: () => exit,
    stop: () => {
      stopped ??= (async () => {
        if (exit === null) {
          p.child.kill('SIGTERM');
          const timer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
          await p.exited;
          clearTimeout(timer);
        }
        const { code } = await p.exited;
        if (code !== 0) process.stderr.write(`collector exit ${JSON.stringify(exit)}; output tail: ${p.tail()}\n`);
        rmSync(dir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
}
