/**
 * The built collector (`node dist/cli.js serve`) as a child process on free ports: crash and restart tests, and the
 * e2e bench (bench/e2e/collector.ts), run it this way so its CPU, memory and fate are its own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

export interface CollectorProcess {
  child: ChildProcess;
  grpcTarget: string;
  httpUrl: string;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  tail(): string;
}

/** How to start it besides the config. */
export interface CollectorProcessOptions {
  /** Extra environment (e.g. AGT_CRASH_AT). */
  env?: Record<string, string>;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Working directory of the process (default: this one). */
  cwd?: string;
}

/**
 * Writes `config` to `<dir>/agenttail.yaml` and starts the collector on it; resolves once it listens (its
 * "receivers listening" log line, which carries the ports it bound: the config may say port 0). The config's
 * logLevel must let info lines through.
 */
export async function startCollectorProcess(dir: string, config: Record<string, unknown>, opts: CollectorProcessOptions = {}): Promise<CollectorProcess> {
  const file = join(dir, 'agenttail.yaml');
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'serve', '--config', file], { env: { ...process.env, ...opts.env }, ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const recent: string[] = [];
  const remember = (line: string): void => {
    recent.push(line);
    if (recent.length > 30) recent.shift();
  };
  child.stderr!.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach(remember));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const tail = (): string => recent.join('\n');
  const ports = await new Promise<{ grpcPort: number; httpPort: number }>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        remember(line);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (typeof entry.grpcPort === 'number' && typeof entry.httpPort === 'number') resolve({ grpcPort: entry.grpcPort, httpPort: entry.httpPort });
        } catch {
          // not a log line
        }
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`collector exited before listening (code ${code}, signal ${signal}): ${tail()}`)));
  });
  return { child, grpcTarget: `127.0.0.1:${ports.grpcPort}`, httpUrl: `http://127.0.0.1:${ports.httpPort}`, logs, exited, tail };
}

/** Runs SQL on an embedded data directory in a separate process; one result array per statement. */
export async function queryDataDir<T = Record<string, unknown>>(path: string, queries: string[]): Promise<T[][]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'chdb-query.ts'), path, JSON.stringify(queries)], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T[][];
}
