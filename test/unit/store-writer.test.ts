import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseError } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { backoffMs, isRetryable } from '../../src/store/retry-policy.js';
import { COMPACT_COLUMNS, insertStatement, objectLine } from '../../src/store/row-format.js';
import { costCell, costUnits, unitsCell } from '../../src/store/cell-format.js';
import { randomSession, seeded } from '../integration/store-fixtures.js';

interface Call {
  query: string;
  token: string;
  body: string;
}

/** A client that records exec calls and fails on demand with the errors queued for it. */
class FakeClient {
  calls: Call[] = [];
  failures: unknown[] = [];
  hold: Promise<void> | null = null;
  closed = false;

  async exec(params: { query: string; values?: Readable; clickhouse_settings?: Record<string, unknown> }): Promise<{ stream: Readable }> {
    let body = '';
    for await (const chunk of params.values!) body += (chunk as Buffer).toString('utf8');
    this.calls.push({ query: params.query, token: String(params.clickhouse_settings?.insert_deduplication_token), body });
    if (this.hold !== null) await this.hold;
    const f = this.failures.shift();
    if (f !== undefined) throw f;
    return { stream: Readable.from([]) };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function chError(code: string): ClickHouseError {
  return new ClickHouseError({ message: `code ${code}`, code, type: 'X' });
}

function setup(opts: { maxAttempts?: number; maxQueueBytes?: number; batchBytes?: number } = {}) {
  const fake = new FakeClient();
  const registry = new Registry();
  const written: string[] = [];
  const store = new ClickHouseStore({
    client: fake as unknown as ClickHouseClient,
    database: 'agenttail',
    retry: { initialMs: 1, maxMs: 2, maxAttempts: opts.maxAttempts ?? 4 },
    log: silentLogger(),
    registry,
    ...(opts.maxQueueBytes === undefined ? {} : { maxQueueBytes: opts.maxQueueBytes }),
    ...(opts.batchBytes === undefined ? {} : { batchBytes: opts.batchBytes, flushIntervalMs: 3_600_000 }),
    onBatchWritten: (i) => written.push(`${i.table}:${i.rows}`),
  });
  return { fake, registry, store, written };
}

async function metric(registry: Registry, name: string, labels: string): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

const BASE = BigInt(Date.now()) * 1_000_000n;

describe('ClickHouseStore', () => {
  describe('memory pressure', () => {
    it('sends a table once a quarter of batchBytes is pending while the process is at its memory limit, batchBytes otherwise', async () => {
      const { fake, store } = setup({ batchBytes: 64 * 1024 });
      const session = (i: number) => randomSession({ tenantId: 't', rand: seeded(100 + i), kept: false, baseNs: BASE }).write;
      const sessionInserts = () => fake.calls.filter((c) => c.query.includes('.sessions ')).length;
      const tick = () => new Promise((r) => setTimeout(r, 1));
      /** Writes sessions one at a time until a sessions insert goes out; how many it took. */
      const writesUntilInsert = async (from: number): Promise<number> => {
        const before = sessionInserts();
        for (let n = 1; n <= 1_000; n++) {
          store.write(session(from + n));
          await tick();
          if (sessionInserts() > before) return n;
        }
        return Infinity;
      };
      store.setMemoryPressure(true);
      const underPressure = await writesUntilInsert(0);
      await store.forceFlush();
      store.setMemoryPressure(false);
      const normal = await writesUntilInsert(10_000);
      await store.forceFlush();
      await store.shutdown();
      expect(underPressure).toBeGreaterThan(1);
      expect(normal).toBeLessThan(Infinity);
      // A quarter of the bytes: about a quarter of the rows (sessions differ in size a little).
      expect(normal / underPressure).toBeGreaterThan(3);
      expect(normal / underPressure).toBeLessThan(5.5);
    });
  });

  describe('flush', () => {
    it('retries a retryable ClickHouse error with the same dedup token', async () => {
      const { fake, registry, store, written } = setup();
      fake.failures.push(chError('252'), chError('319'));
      store.writeEvals('t', [{ name: 'q', score: 1, label: null, explanation: null, target: { sessionId: 's', traceId: null, spanId: null }, source: 'api', timeUnixNano: BASE }]);
      await store.forceFlush();
      expect(fake.calls).toHaveLength(3);
      expect(new Set(fake.calls.map((c) => c.token)).size).toBe(1);
      expect(fake.calls[0]!.query).toBe(insertStatement('agenttail', 'evals'));
      expect(fake.calls[0]!.query).toMatch(/^INSERT INTO agenttail\.evals \(TenantId, Timestamp, .*\) FORMAT JSONCompactEachRow$/);
      expect(written).toEqual(['evals:1']);
      expect(await metric(registry, 'agenttail_store_inserts_retried_total', 'table="evals"')).toBe(2);
      expect(await metric(registry, 'agenttail_store_rows_written_total', 'table="evals"')).toBe(1);
    });

    it('retries network errors by errno', async () => {
      const { fake, store, written } = setup();
      fake.failures.push(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }));
      store.write(randomSession({ tenantId: 't', rand: seeded(1), kept: false, baseNs: BASE }).write);
      await store.forceFlush();
      expect(written).toContain('sessions:1');
      expect(written.some((w) => w.startsWith('usage_hourly:'))).toBe(true);
      expect(fake.calls.filter((c) => c.query.includes('.sessions ')).length).toBe(2);
    });

    it('parks a one-row batch refused with a non-retryable error in dead_letter, without retrying, and counts it', async () => {
      const { fake, registry, store, written } = setup();
      fake.failures.push(chError('62')); // SYNTAX_ERROR
      store.writeEvals('t', [{ name: 'q', score: 1, label: null, explanation: null, target: { sessionId: 's', traceId: null, spanId: null }, source: 'api', timeUnixNano: BASE }]);
      await store.forceFlush();
      expect(fake.calls.map((c) => c.query)).toEqual([insertStatement('agenttail', 'evals'), 'INSERT INTO agenttail.dead_letter FORMAT JSONEachRow']);
      const parked = JSON.parse(fake.calls[1]!.body) as Record<string, string>;
      // The parked row is the sent line as a JSONEachRow object, re-insertable by hand.
      expect(parked).toMatchObject({ TargetTable: 'evals', BatchId: fake.calls[0]!.token, ErrorCode: '62', Error: 'code 62', Row: objectLine('evals', fake.calls[0]!.body.trim()) });
      expect(JSON.parse(parked.Row!)).toMatchObject({ TenantId: 't', SessionId: 's', Name: 'q', Score: 1, Source: 'api' });
      expect(written).toEqual(['evals:0']);
      expect(await metric(registry, 'agenttail_store_inserts_failed_total', 'table="evals",reason="fatal"')).toBe(1);
      expect(await metric(registry, 'agenttail_store_rows_parked_total', 'table="evals",code="62"')).toBe(1);
      expect(await metric(registry, 'agenttail_store_rows_dropped_total', 'table="evals"')).toBe(0);
    });

    it('splits a refused batch to insert the rows not at fault under tokens derived from the batch token, parking only the refused row', async () => {
      const { fake, registry, store, written } = setup();
      // whole batch refused; [a b] taken; [c d] refused; [c] refused; [d] taken; dead letter taken.
      fake.failures.push(chError('72'), undefined, chError('72'), chError('72'));
      const ev = (name: string) => ({ name, score: 1, label: null, explanation: null, target: { sessionId: 's', traceId: null, spanId: null }, source: 'api' as const, timeUnixNano: BASE });
      store.writeEvals('t', [ev('a'), ev('b'), ev('c'), ev('d')]);
      await store.forceFlush();
      const name = COMPACT_COLUMNS.evals.indexOf('Name');
      const names = (body: string) => body.trim().split('\n').map((l) => (JSON.parse(l) as string[])[name]).join('');
      expect(fake.calls.slice(0, 5).map((c) => names(c.body))).toEqual(['abcd', 'ab', 'cd', 'c', 'd']);
      const batchToken = fake.calls[0]!.token;
      const tokens = fake.calls.map((c) => c.token);
      expect(new Set(tokens).size).toBe(tokens.length);
      expect(tokens.every((t) => /^[0-9a-f]{32}$/.test(t))).toBe(true);
      expect(fake.calls[5]!.query).toBe('INSERT INTO agenttail.dead_letter FORMAT JSONEachRow');
      expect(JSON.parse(fake.calls[5]!.body)).toMatchObject({ TargetTable: 'evals', BatchId: batchToken, ErrorCode: '72' });
      expect(written).toEqual(['evals:3']);
      expect(await metric(registry, 'agenttail_store_rows_written_total', 'table="evals"')).toBe(3);
      expect(await metric(registry, 'agenttail_store_rows_parked_total', 'table="evals",code="72"')).toBe(1);
      expect(await metric(registry, 'agenttail_store_batches_isolated_total', 'table="evals"')).toBe(1);

      // The same batch again (a retry or a replay) is split the same way under the same tokens: ClickHouse drops the parts it has.
      const again = setup();
      again.fake.failures.push(chError('72'), undefined, chError('72'), chError('72'));
      again.store.writeEvals('t', [ev('a'), ev('b'), ev('c'), ev('d')]);
      await again.store.forceFlush();
      expect(again.fake.calls.map((c) => c.token)).toEqual(tokens);
    });

    it('gives up after maxAttempts on a retryable error', async () => {
      const { fake, registry, store } = setup({ maxAttempts: 3 });
      fake.failures.push(chError('159'), chError('159'), chError('159'), chError('159'));
      store.writeEvals('t', [{ name: 'q', score: 1, label: null, explanation: null, target: { sessionId: 's', traceId: null, spanId: null }, source: 'api', timeUnixNano: BASE }]);
      await store.forceFlush();
      expect(fake.calls).toHaveLength(3);
      expect(await metric(registry, 'agenttail_store_rows_dropped_total', 'table="evals"')).toBe(1);
    });
  });

  describe('write', () => {
    it('refuses with a retryable AGT_ERR_WRITER_BACKPRESSURE when the queues are full', async () => {
      const { fake, registry, store } = setup({ maxQueueBytes: 4000 });
      let release!: () => void;
      fake.hold = new Promise<void>((r) => (release = r));
      const rand = seeded(9);
      let refused = null;
      for (let i = 0; i < 50 && refused === null; i++) {
        const out = store.write(randomSession({ tenantId: 't', rand, kept: true, baseNs: BASE }).write);
        if (out.status !== 'ok') refused = out;
      }
      expect(refused).toMatchObject({ status: 'retryable', error: { code: 'AGT_ERR_WRITER_BACKPRESSURE' } });
      expect(store.hasCapacity()).toBe(false);
      expect(await metric(registry, 'agenttail_store_writes_refused_total', 'kind="session"')).toBe(1);
      fake.hold = null;
      release();
      await store.forceFlush();
      expect(store.hasCapacity()).toBe(true);
      expect(store.queuedBytes()).toBe(0);
    });

    it('fails writes after close and closes the client', async () => {
      const { fake, store } = setup();
      await store.shutdown();
      expect(fake.closed).toBe(true);
      expect(store.write(randomSession({ tenantId: 't', rand: seeded(1), kept: true, baseNs: BASE }).write)).toMatchObject({
        status: 'failed',
        error: { code: 'AGT_ERR_SHUTTING_DOWN' },
      });
    });

    it('keeps one insert in flight over all tables by default', async () => {
      const { fake, store } = setup();
      let inFlight = 0;
      let peak = 0;
      const exec = fake.exec.bind(fake);
      fake.exec = async (params) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        try {
          await new Promise((r) => setTimeout(r, 2));
          return await exec(params);
        } finally {
          inFlight--;
        }
      };
      store.write(randomSession({ tenantId: 't', rand: seeded(8), kept: true, baseNs: BASE }).write);
      await store.forceFlush();
      // spans, sessions, usage_hourly, provider_minutely, session_ts, trace_ts
      expect(new Set(fake.calls.map((c) => c.query)).size).toBe(6);
      expect(peak).toBe(1);
    });

    it('builds identical batch ids for identical writes and different ones otherwise', async () => {
      const a = setup();
      const b = setup();
      const s1 = randomSession({ tenantId: 't', rand: seeded(5), kept: true, baseNs: BASE }).write;
      const s2 = randomSession({ tenantId: 't', rand: seeded(6), kept: true, baseNs: BASE }).write;
      a.store.write(s1);
      b.store.write(s1);
      await a.store.forceFlush();
      await b.store.forceFlush();
      expect(a.fake.calls.map((c) => c.token).sort()).toEqual(b.fake.calls.map((c) => c.token).sort());
      a.store.write(s2);
      await a.store.forceFlush();
      const tokens = a.fake.calls.map((c) => c.token);
      expect(new Set(tokens).size).toBe(tokens.length);
    });
  });
});

describe('isRetryable', () => {
  it('decides by ClickHouse code and errno, not by message', () => {
    expect(isRetryable(chError('252'))).toBe(true);
    expect(isRetryable(chError('60'))).toBe(false); // UNKNOWN_TABLE
    expect(isRetryable(Object.assign(new Error('TOO_MANY_PARTS'), { code: '62' }))).toBe(false);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' }))).toBe(false);
    expect(isRetryable(new Error('Timeout error.'))).toBe(true);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt up to the cap', () => {
    expect(backoffMs(1, 100, 1000, () => 0.5)).toBe(100);
    expect(backoffMs(3, 100, 1000, () => 0.5)).toBe(400);
    expect(backoffMs(10, 100, 1000, () => 0.5)).toBe(1000);
  });
});

describe('costCell', () => {
  it('renders exact 1e-12 units', () => {
    expect(costCell(0.1)).toBe('0.100000000000');
    expect(costCell(1.5e-7)).toBe('0.000000150000');
    expect(unitsCell(costUnits(12.345678901234))).toBe('12.345678901234');
    expect(costCell(-0.5)).toBe('-0.500000000000');
  });

  it('agrees with unitsCell(costUnits(x)) and with the split-and-pad units of before, edge cases included', () => {
    const scale = 10n ** 12n;
    // The first implementation of costUnits, kept here as the reference.
    const reference = (usd: number): bigint => {
      if (!Number.isFinite(usd)) return 0n;
      const s = usd.toFixed(12);
      const neg = s.startsWith('-');
      const [int = '0', frac = ''] = (neg ? s.slice(1) : s).split('.');
      const units = BigInt(int) * scale + BigInt(frac.padEnd(12, '0'));
      return neg ? -units : units;
    };
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const values = [0, -0, 1e-13, -1e-13, 5e-13, -5e-13, 1e-12, -1e-12, 0.1, 123456789.12345679, 9.99e20, -9.99e20, NaN, Infinity, -Infinity];
    for (let i = 0; i < 2000; i++) values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 16 - 10));
    for (const v of values) {
      expect(costUnits(v), String(v)).toBe(reference(v));
      expect(costCell(v), String(v)).toBe(unitsCell(reference(v)));
    }
  });
});
