/**
 * Issue 12.6: after an outage, inserts waited out their backoff (up to store.retry.maxMs) before resuming. The resume
 * gate pings ClickHouse while inserts wait and ends the waits at the first answer. Fake timers: no timing asserts.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { BatchInserter } from '../../src/store/batch-inserter.js';
import { ResumeGate } from '../../src/store/resume-gate.js';
import { StoreMetrics } from '../../src/store/store-metrics.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A ClickHouse that refuses connections while `down`, and answers pings when up. */
class FlakyClickHouse {
  down = true;
  inserts = 0;
  async exec(params: { values?: Readable }): Promise<{ stream: Readable }> {
    for await (const chunk of params.values!) void chunk;
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
    this.inserts++;
    return { stream: Readable.from([]) };
  }
  async ping(): Promise<{ success: boolean }> {
    return { success: !this.down };
  }
}

/** Simulated ms from ClickHouse's return to the insert going through, after an outage of `outageMs`. */
async function resumeDelayMs(opts: { pingWakes: boolean; outageMs: number }): Promise<number> {
  const ch = new FlakyClickHouse();
  const gate = new ResumeGate({ ping: async () => opts.pingWakes && (await ch.ping()).success, probeIntervalMs: 500 });
  const inserter = new BatchInserter({
    client: ch as unknown as ClickHouseClient,
    database: 'agenttail',
    // The defaults of store.retry.
    retry: { initialMs: 200, maxMs: 30_000, maxAttempts: 12 },
    durable: true,
    maxConcurrent: 1,
    metrics: new StoreMetrics(new Registry()),
    log: silentLogger(),
    gate,
    random: () => 0.5,
  });
  let done = false;
  void inserter.insert('spans', Buffer.from('{}\n'), 'token').then(() => (done = true));
  await vi.advanceTimersByTimeAsync(opts.outageMs);
  expect(done).toBe(false);
  ch.down = false;
  let waited = 0;
  while (!done && waited < 60_000) {
    await vi.advanceTimersByTimeAsync(100);
    waited += 100;
  }
  expect(ch.inserts).toBe(1);
  gate.close();
  return waited;
}

describe('ResumeGate', () => {
  it('ends a long backoff wait within one probe interval of ClickHouse answering a ping again', async () => {
    let up = false;
    const gate = new ResumeGate({ ping: async () => up, probeIntervalMs: 500 });
    let done = false;
    void gate.wait(14_000, true).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(done).toBe(false);
    up = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(true);
  });

  it('keeps the backoff of a refusal by a live server (its pings succeed) until the delay or an insert succeeds', async () => {
    const ping = vi.fn(async () => true);
    const gate = new ResumeGate({ ping, probeIntervalMs: 500 });
    let done = false;
    void gate.wait(10_000, false).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(done).toBe(false);
    expect(ping).not.toHaveBeenCalled();
    gate.wake(); // another table's insert went through
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });

  it('stops probing once nobody waits, and treats a throwing ping as down', async () => {
    let calls = 0;
    const gate = new ResumeGate({ ping: async () => (++calls > 2 ? true : Promise.reject(new Error('boom'))), probeIntervalMs: 500 });
    let done = false;
    void gate.wait(60_000, true).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(true);
    const seen = calls;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(seen);
  });
});

describe('BatchInserter after a ClickHouse outage', () => {
  it('resumes within a probe interval of ClickHouse returning, where the backoff alone waits seconds', async () => {
    const outageMs = 60_000;
    const withGate = await resumeDelayMs({ pingWakes: true, outageMs });
    const backoffOnly = await resumeDelayMs({ pingWakes: false, outageMs });
    expect(withGate).toBeLessThanOrEqual(600);
    // Without the ping the insert sits out the rest of its (up to 30 s, ±20 %) backoff.
    expect(backoffOnly).toBeGreaterThan(withGate);
    console.log(`resume after a ${outageMs / 1000} s outage (simulated time): backoff only ${backoffOnly} ms, with the resume gate ${withGate} ms`);
  });
});
