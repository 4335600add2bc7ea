/**
 * Runs the real collector (`node dist/cli.js serve`) as a child process for the e2e bench, so its CPU and
 * RSS are its own: temp config (embedded store and WAL in a temp dir, chosen free ports, short idle
 * timeout, the bench's sampling), optional `--cpu-prof`, readiness wait, SIGTERM stop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deepMerge } from '../../src/config/load.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CollectorChild {
  grpcTarget: string;
  httpUrl: string;
  pid: number;
  /** The collector's combined stdout/stderr (pino JSON lines). */
  logFile: string;
  /** Set when the process exited (by itself or by stop()). */
  exited: () => { code: number | null; signal: string | null } | null;
  /** SIGTERM, wait for the graceful shutdown; resolves with the exit code. Removes the temp dir. */
  stop(): Promise<number | null>;
}

/** A free TCP port on 127.0.0.1 (bound then released; the collector binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
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

/** Bench defaults: embedded store in the temp dir, warn logs, 1 s idle timeout, ~10 % kept, no per-tenant budget. */
export function benchConfig(dir: string, grpcPort: number, httpPort: number): Record<string, unknown> {
  return {
    logLevel: 'warn',
    dataDir: dir,
    store: { kind: 'embedded', path: join(dir, 'clickhouse') },
    wal: { dir: join(dir, 'wal') },
    receive: { grpc: { host: '127.0.0.1', port: grpcPort }, http: { host: '127.0.0.1', port: httpPort } },
    sessions: { idleTimeoutMs: 1_000, sweepIntervalMs: 100, maxSessionAgeMs: 60_000 },
    // The generated traffic has ~3 % error, ~2 % low-eval, ~2 % cost-outlier sessions; baseline 4 % tops it up to ~10 %.
    sampling: { baselineRate: 0.04, budget: { enabled: false } },
  };
}

export async function startCollector(opts: CollectorOptions = {}): Promise<CollectorChild> {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'agt-e2e-'));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const config = deepMerge(benchConfig(dir, grpcPort, httpPort), opts.overrides ?? {});
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML
  const logFile = join(dir, 'collector.log');
  const log = createWriteStream(logFile);
  const args = [...(opts.nodeArgs ?? [])];
  if (opts.profileDir !== undefined) args.push('--cpu-prof', '--cpu-prof-dir', opts.profileDir);
  const child: ChildProcess = spawn(process.execPath, [...args, join(ROOT, 'dist', 'cli.js'), 'serve', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exit: { code: number | null; signal: string | null } | null = null;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((exit = { code, signal }), resolve())));

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exit !== null) throw new Error(`the collector exited during start (${JSON.stringify(exit)}): ${tail(logFile)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the collector was not ready within 60 s: ${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${httpUrl}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  let stopped: Promise<number | null> | null = null;
  return {
    grpcTarget: `127.0.0.1:${grpcPort}`,
    httpUrl,
    pid: child.pid!,
    logFile,
    exited: () => exit,
    stop: () => {
      stopped ??= (async () => {
        if (exit === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
          await exitedPromise;
          clearTimeout(timer);
        }
        const code = (exit as { code: number | null } | null)?.code ?? null;
        if (code !== 0) process.stderr.write(`collector exit ${JSON.stringify(exit)}; log tail: ${tail(logFile)}\n`);
        log.end();
        rmSync(dir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
