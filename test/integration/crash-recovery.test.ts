/**
 * kill -9 under sustained load from the real OTel gRPC exporter, at chosen points of the durability protocol,
 * then a restart on the same data directory: every acknowledged span of a kept session is stored, the rollups
 * equal what was acknowledged (plus, exactly, the one request in flight at the kill if its record was durable),
 * and no row is duplicated. The collector runs built (dist/cli.js) as a child process.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decimalUnits } from '../../src/store/cell-format.js';
import { queryDataDir, startCollectorProcess } from '../support/collector-process.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { SessionLoad } from '../support/session-load.js';

function configFor(dir: string, checkpointIntervalMs = 150, idleTimeoutMs = 250): Record<string, unknown> {
  return {
    dataDir: dir,
    logLevel: 'info',
    store: { path: join(dir, 'clickhouse'), flushIntervalMs: 100, batchRows: 40 },
    sessions: { idleTimeoutMs, sweepIntervalMs: 50 },
    sampling: { baselineRate: 0.2 },
    receive: TEST_RECEIVE,
    // Small segments, no retention and frequent checkpoints: segments are released while the load runs.
    wal: { durability: 'fsync', segmentBytes: 65536, retentionMs: 0, checkpointIntervalMs },
  };
}

interface Scenario {
  name: string;
  crashAt: string | null;
  /** For the external kill: SIGKILL while this session's first request is in flight. */
  killAtSession?: number;
  /**
   * For the external kill: wait this long before it, so sessions sent earlier are decided (idle 250 ms) while their
   * decision records stay in the log (checkpoints every `checkpointIntervalMs`). Without the wait a fast machine sent
   * all 30 sessions within the idle time and nothing was decided before the kill (2 of 4 runs alone, on 7f2218e too).
   */
  waitBeforeKillMs?: number;
  checkpointIntervalMs?: number;
  /** Sessions' idle timeout (default 250 ms). */
  idleTimeoutMs?: number;
  /** Stop sending after this session for `pauseMs`, so what was sent is decided and written while the process lives. */
  pauseAfterSession?: number;
  pauseMs?: number;
  /** What recovery must have done (a field of its report that must be ≥ 1). */
  expectRecovery?: 'requestsReplayed' | 'batchesResent' | 'decisionsReused';
}

// The insert scenario decides sessions 2 s after their last span and pauses after 20 sessions (160 spans) for 4 s: no
// insert comes before sessions have been acknowledged for 2 s, so the 9th insert comes after the 40 acknowledged spans
// the scenario needs however loaded the machine is, and the pause lets the decisions of what was sent reach the 9th
// insert however quiet it is. With 250 ms and no pause, the 9th insert came first on a loaded machine, and a later
// insert (the 30th) was not reached before the load ended on a quiet one.
const scenarios: Scenario[] = [
  { name: 'killed from outside while a request is in flight', crashAt: null, killAtSession: 30, waitBeforeKillMs: 600, checkpointIntervalMs: 60_000, expectRecovery: 'decisionsReused' },
  { name: 'killed before a log group is written', crashAt: 'wal-write:70', expectRecovery: 'decisionsReused' },
  { name: 'killed after a log group is synced, before the answer', crashAt: 'wal-synced:70', expectRecovery: 'requestsReplayed' },
  { name: 'killed after an insert, before its confirmation is logged', crashAt: 'store-inserted:9', idleTimeoutMs: 2_000, pauseAfterSession: 20, pauseMs: 4_000, expectRecovery: 'batchesResent' },
  { name: 'killed right after a decision is logged', crashAt: 'decision-logged:12', expectRecovery: 'requestsReplayed' },
];

describe('crash recovery (kill -9, restart on the same data directory)', () => {
  for (const sc of scenarios) {
    it(sc.name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'agt-crash-'));
      try {
        const config = configFor(dir, sc.checkpointIntervalMs, sc.idleTimeoutMs);
        const first = await startCollectorProcess(dir, config, sc.crashAt === null ? {} : { env: { AGT_CRASH_AT: sc.crashAt } });
        let dead = false;
        void first.exited.then(() => (dead = true));
        const load = new SessionLoad(first.grpcTarget);
        for (let i = 0; i < 80 && !dead; i++) {
          if (i === sc.killAtSession) {
            if (sc.waitBeforeKillMs !== undefined) await new Promise((r) => setTimeout(r, sc.waitBeforeKillMs));
            setTimeout(() => first.child.kill('SIGKILL'), 1);
          }
          if (!(await load.sendSession(i))) break;
          if (i === sc.pauseAfterSession) await new Promise((r) => setTimeout(r, sc.pauseMs));
        }
        if (!dead) first.child.kill('SIGKILL');
        const death = await first.exited;
        expect(death.signal).toBe('SIGKILL');
        await load.close();
        const acked = load.totals(true);
        const unacked = load.totals(false);
        expect(acked.spans).toBeGreaterThan(40);
        // One request at a time: at most the one in flight at the kill is unacknowledged.
        expect(load.requests.filter((r) => !r.acked).length).toBeLessThanOrEqual(1);

        const second = await startCollectorProcess(dir, config);
        const recovered = second.logs.find((l) => l.msg === 'recovered from the write-ahead log');
        expect(recovered).toBeDefined();
        if (sc.expectRecovery !== undefined) expect(recovered![sc.expectRecovery]).toBeGreaterThanOrEqual(1);
        // Regression: batches rebuilt whole were reported as "could not be fully rebuilt" after ordinary crashes.
        expect(recovered!.batchesIncomplete).toBe(0);
        expect(second.logs.filter((l) => l.incomplete !== undefined)).toEqual([]);
        second.child.kill('SIGTERM');
        expect((await second.exited).code).toBe(0);

        const [usage, spanCounts, sessions, spans] = await queryDataDir(join(dir, 'clickhouse'), [
          'SELECT sum(InputTokens) AS i, sum(OutputTokens) AS o, toString(sum(CostUsd)) AS c FROM agenttail.usage_hourly',
          'SELECT count() AS n, uniqExact(TraceId, SpanId) AS u FROM agenttail.spans',
          'SELECT SessionId, Kept FROM agenttail.sessions FINAL',
          'SELECT TraceId, SpanId FROM agenttail.spans',
        ]);
        const u = usage![0] as { i: string | number; o: string | number; c: string };
        const gotCostUnits = decimalUnits(u.c);
        const candidates = [acked, { ...acked, inputTokens: acked.inputTokens + unacked.inputTokens, outputTokens: acked.outputTokens + unacked.outputTokens, costUnits: acked.costUnits + unacked.costUnits }];
        const match = candidates.find((c) => c.inputTokens === Number(u.i) && c.outputTokens === Number(u.o) && c.costUnits === gotCostUnits);
        expect(match, `rollups ${JSON.stringify(u)} vs acknowledged ${JSON.stringify({ ...acked, costUnits: String(acked.costUnits) })}`).toBeDefined();

        const sc0 = spanCounts![0] as { n: string | number; u: string | number };
        expect(Number(sc0.n)).toBe(Number(sc0.u));
        const kept = new Set((sessions as { SessionId: string; Kept: boolean | number }[]).filter((s) => Boolean(s.Kept)).map((s) => s.SessionId));
        expect(kept.size).toBeGreaterThan(0);
        const stored = new Set((spans as { TraceId: string; SpanId: string }[]).map((s) => `${s.TraceId}/${s.SpanId}`));
        const missing: string[] = [];
        for (const r of load.requests) {
          if (!r.acked) continue;
          for (const s of r.spans) if (kept.has(s.sessionId) && !stored.has(`${s.traceId}/${s.spanId}`)) missing.push(`${s.sessionId} ${s.spanId}`);
        }
        expect(missing).toEqual([]);
        // Every error session (every fifth) that was acknowledged whole is kept.
        const ackedSessions = new Set(load.requests.filter((r) => r.acked).flatMap((r) => r.spans.map((s) => s.sessionId)));
        for (const id of ackedSessions) if (Number(id.slice(5)) % 5 === 0) expect(kept.has(id), id).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});

describe('damaged log on restart', () => {
  it('starts with a corrupted middle record and a torn last record, counting and logging the damage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-damage-'));
    try {
      const config = { ...configFor(dir), wal: { durability: 'fsync', segmentBytes: 65536, retentionMs: 3_600_000, checkpointIntervalMs: 150 } };
      const first = await startCollectorProcess(dir, config);
      const load = new SessionLoad(first.grpcTarget);
      for (let i = 0; i < 12; i++) expect(await load.sendSession(i)).toBe(true);
      await load.close();
      first.child.kill('SIGKILL');
      await first.exited;

      const walDir = join(dir, 'wal');
      const segments = readdirSync(walDir).filter((n) => n.endsWith('.wal')).sort();
      expect(segments.length).toBeGreaterThan(0);
      // Flip a byte in the middle of the first segment (a record whose crc will not match) …
      const firstSeg = join(walDir, segments[0]!);
      const bytes = readFileSync(firstSeg);
      bytes[Math.floor(bytes.length * 0.4)] ^= 0xff;
      writeFileSync(firstSeg, bytes);
      // … and leave half a frame at the end of the last one (a write cut short).
      const torn = Buffer.alloc(20);
      torn.writeUInt32LE(0xa9e77a11, 0);
      torn.writeUInt32LE(5000, 4);
      appendFileSync(join(walDir, segments.at(-1)!), torn);

      const second = await startCollectorProcess(dir, config);
      const damage = second.logs.find((l) => l.msg === 'wal replay skipped damaged records');
      expect(damage).toMatchObject({ tornTail: true });
      expect(Number(damage!.corrupt)).toBeGreaterThanOrEqual(1);
      const metrics = await (await fetch(`${second.httpUrl}/metrics`)).text();
      const counted = /^agenttail_wal_corrupt_records_total (\d+)/m.exec(metrics);
      expect(Number(counted?.[1])).toBeGreaterThanOrEqual(2);
      const ready = (await (await fetch(`${second.httpUrl}/readyz`)).json()) as { status: string };
      expect(ready.status).toBe('ok');
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
