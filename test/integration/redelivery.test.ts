/**
 * Clients deliver at least once: the OTel exporter sends a request again whenever it did not get the answer (timeout,
 * reset, a crash after the log write). Regression tests for "a re-delivered request is counted again once its session
 * is decided": the same Export, re-sent by the real OTel gRPC exporter, is acknowledged every time and counted once in
 * usage_hourly, the session row (SpanCount, tokens) and spans — while the session is open, after its decision, after a
 * kill -9 and restart, and after a kill between the request's log write and its answer. The collector runs built
 * (dist/cli.js) as a child process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryDataDir, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { buildSession, deliver, metricSum as metric, SESSION_CALLS as CALLS, SESSION_TOKENS, untilWritten } from '../support/redelivery-client.js';

const SPANS = CALLS + 1;

function configFor(dir: string): Record<string, unknown> {
  return {
    dataDir: dir,
    logLevel: 'info',
    store: { flushIntervalMs: 100 },
    // Long enough that a delivery right after the first still finds the session open (checked, not assumed).
    sessions: { idleTimeoutMs: 1_000, sweepIntervalMs: 50 },
    // Every session kept, so the spans table shows duplicates too.
    sampling: { baselineRate: 1 },
    receive: TEST_RECEIVE,
    wal: { durability: 'fsync', checkpointIntervalMs: 100 },
  };
}

const INPUT = SESSION_TOKENS.input;
const OUTPUT = SESSION_TOKENS.output;

/** What the store holds for the session: rollup sums, the session row (FINAL), span rows. */
async function stored(dir: string, sessionId: string): Promise<{ input: number; output: number; calls: number; spanCount: number; rowInput: number; spans: number }> {
  const [usage, session, spans] = await queryDataDir(join(dir, 'clickhouse'), [
    'SELECT sum(InputTokens) AS i, sum(OutputTokens) AS o, sum(Calls) AS c FROM agenttail.usage_hourly',
    `SELECT SpanCount AS n, InputTokens AS i FROM agenttail.sessions FINAL WHERE SessionId = '${sessionId}'`,
    `SELECT count() AS n FROM agenttail.spans WHERE SessionId = '${sessionId}'`,
  ]);
  const u = usage![0] as Record<string, string | number>;
  const s = (session![0] ?? { n: -1, i: -1 }) as Record<string, string | number>;
  return { input: Number(u.i), output: Number(u.o), calls: Number(u.c), spanCount: Number(s.n), rowInput: Number(s.i), spans: Number((spans![0] as { n: string | number }).n) };
}

const ONCE = { input: INPUT, output: OUTPUT, calls: CALLS, spanCount: SPANS, rowInput: INPUT, spans: SPANS };

describe('re-delivered Export requests', () => {
  const dirs: string[] = [];
  const running: CollectorProcess[] = [];
  afterEach(() => {
    for (const c of running.splice(0)) c.child.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('counts the same Export once when it arrives while open, after the decision and after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-redeliver-'));
    dirs.push(dir);
    const spans = buildSession('sess-retry');
    const first = await startCollectorProcess(dir, configFor(dir));
    running.push(first);
    expect(await deliver(first.grpcTarget, spans)).toBe(true);
    expect(await deliver(first.grpcTarget, spans)).toBe(true); // open: the session drops it
    expect(await metric(first, 'agenttail_sessions_decided_total')).toBe(0);
    expect(await metric(first, 'agenttail_sessions_duplicate_spans_total')).toBe(SPANS);
    await untilWritten(first, 1);
    expect(await deliver(first.grpcTarget, spans)).toBe(true); // decided: late data, all counted already
    expect(await metric(first, 'agenttail_sessions_redelivered_spans_total')).toBe(SPANS);
    expect(await metric(first, 'agenttail_sessions_late_spans_total')).toBe(0);
    await untilWritten(first, 1);
    first.child.kill('SIGKILL');
    await first.exited;

    // After kill -9, recovery rebuilds what the decided session counted from its decision record.
    const second = await startCollectorProcess(dir, configFor(dir));
    running.push(second);
    expect(await deliver(second.grpcTarget, spans)).toBe(true);
    // This delivery, and the third one again when its record was above the last checkpoint and replayed.
    expect([SPANS, 2 * SPANS]).toContain(await metric(second, 'agenttail_sessions_redelivered_spans_total'));
    expect(await metric(second, 'agenttail_sessions_late_spans_total')).toBe(0);
    second.child.kill('SIGTERM');
    // On failure, the signal that ended it and its last lines.
    expect(await second.exited, second.tail()).toEqual({ code: 0, signal: null });
    expect(await stored(dir, 'sess-retry')).toEqual(ONCE);
  }, 60_000);

  it('counts a request once when the collector dies between its log write and the answer and the client retries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-redeliver-crash-'));
    dirs.push(dir);
    const spans = buildSession('sess-crash');
    // The first log group synced is this request's: the process dies before answering it.
    const first = await startCollectorProcess(dir, configFor(dir), { env: { AGT_CRASH_AT: 'wal-synced:1' } });
    running.push(first);
    expect(await deliver(first.grpcTarget, spans)).toBe(false);
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await startCollectorProcess(dir, configFor(dir));
    running.push(second);
    const recovered = second.logs.find((l) => l.msg === 'recovered from the write-ahead log');
    expect(recovered?.requestsReplayed).toBe(1);
    // The client retries after the restart; the replayed session is decided (and written) by the time a second retry comes.
    expect(await deliver(second.grpcTarget, spans)).toBe(true);
    await untilWritten(second, 1);
    expect(await deliver(second.grpcTarget, spans)).toBe(true);
    expect(await metric(second, 'agenttail_sessions_duplicate_spans_total')).toBe(2 * SPANS);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(await stored(dir, 'sess-crash')).toEqual(ONCE);
  }, 60_000);
});
