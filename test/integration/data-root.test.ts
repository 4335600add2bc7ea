/**
 * One data root: the embedded store lives under `dataDir` like the log (regression: `store.path` stayed
 * `./data/clickhouse` of the working directory, so a restart from another directory recovered against an empty store
 * and skipped batches the log said were written), and a collector whose log says batches were written to a store
 * that is not there refuses to start. The collector runs built (dist/cli.js) as a child process.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryDataDir, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { buildSession, deliver, SESSION_TOKENS, untilWritten } from '../support/redelivery-client.js';

function configFor(dataDir: string): Record<string, unknown> {
  return {
    dataDir,
    logLevel: 'info',
    store: { flushIntervalMs: 100 },
    sessions: { idleTimeoutMs: 200, sweepIntervalMs: 50 },
    receive: TEST_RECEIVE,
    wal: { durability: 'fsync', checkpointIntervalMs: 100 },
  };
}

describe('the data root (dataDir)', () => {
  const dirs: string[] = [];
  const running: CollectorProcess[] = [];
  const tempDir = (prefix: string): string => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const c of running.splice(0)) c.child.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('finds its store when restarted from another working directory', async () => {
    const dataDir = tempDir('agt-root-');
    const [cwdA, cwdB] = [tempDir('agt-cwd-a-'), tempDir('agt-cwd-b-')];
    const first = await startCollectorProcess(dataDir, configFor(dataDir), { cwd: cwdA });
    running.push(first);
    expect(await deliver(first.grpcTarget, buildSession('sess-a'))).toBe(true);
    await untilWritten(first, 1);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startCollectorProcess(dataDir, configFor(dataDir), { cwd: cwdB });
    running.push(second);
    expect(await deliver(second.grpcTarget, buildSession('sess-b'))).toBe(true);
    await untilWritten(second, 1);
    // The running collector reads the first run's session from the store it found.
    const res = await fetch(`${second.httpUrl}/api/v1/sessions/sess-a`);
    expect(res.status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    expect(existsSync(join(cwdA, 'data')) || existsSync(join(cwdB, 'data'))).toBe(false);
    const [usage] = await queryDataDir(join(dataDir, 'clickhouse'), ['SELECT sum(InputTokens) AS i FROM agenttail.usage_hourly']);
    expect(Number((usage![0] as { i: string | number }).i)).toBe(2 * SESSION_TOKENS.input);
  }, 60_000);

  it('refuses to start when the log says batches were written to a store that is not there', async () => {
    const dataDir = tempDir('agt-root-missing-');
    const first = await startCollectorProcess(dataDir, configFor(dataDir));
    running.push(first);
    expect(await deliver(first.grpcTarget, buildSession('sess-a'))).toBe(true);
    await untilWritten(first, 1);
    first.child.kill('SIGKILL');
    await first.exited;
    rmSync(join(dataDir, 'clickhouse'), { recursive: true, force: true });

    const error = await startCollectorProcess(dataDir, configFor(dataDir)).then(
      () => null,
      (err: unknown) => (err as Error).message,
    );
    expect(error).toMatch(/code 1\b/);
    const line = error!.split('\n').find((l) => l.includes('AGT_ERR_STORE_MISSING'));
    expect(line).toContain(join(dataDir, 'wal'));
    expect(line).toContain(join(dataDir, 'clickhouse'));
    // It did not create an empty store in its place.
    expect(existsSync(join(dataDir, 'clickhouse'))).toBe(false);
  }, 60_000);
});
