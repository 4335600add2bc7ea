import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { OverloadGuard } from '../../src/receive/overload.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { BUDGET_FAILURES_BEFORE_LIFT, insertBudgetBytes, MIN_INSERT_BUDGET_BYTES } from '../../src/store/insert-budget.js';
import { randomSession, seeded } from '../integration/store-fixtures.js';

const MIB = 1024 * 1024;

/** Records the settings of every insert; inserts into `sessions` fail with the errors queued for them. */
class SettingsClient {
  settings: Record<string, unknown>[] = [];
  failures: unknown[] = [];

  async exec(params: { query: string; values?: Readable; clickhouse_settings?: Record<string, unknown> }): Promise<{ stream: Readable }> {
    for await (const _ of params.values!) void _;
    this.settings.push({ ...params.clickhouse_settings, table: /INTO \w+\.(\w+)/.exec(params.query)?.[1] });
    const f = params.query.includes('.sessions ') ? this.failures.shift() : undefined;
    if (f !== undefined) throw f;
    return { stream: Readable.from([]) };
  }

  async close(): Promise<void> {}
}

describe('insertBudgetBytes', () => {
  it('gives the embedded engine a tenth of the memory cap under auto, at least the floor, and nothing without a cap', () => {
    expect(insertBudgetBytes({ kind: 'embedded', insertMaxMemoryBytes: 'auto' }, 600 * MIB)).toBe(60 * MIB);
    expect(insertBudgetBytes({ kind: 'embedded', insertMaxMemoryBytes: 'auto' }, 100 * MIB)).toBe(MIN_INSERT_BUDGET_BYTES);
    expect(insertBudgetBytes({ kind: 'embedded', insertMaxMemoryBytes: 'auto' }, 0)).toBe(0);
    expect(insertBudgetBytes({ kind: 'embedded', insertMaxMemoryBytes: 5 * MIB }, 600 * MIB)).toBe(5 * MIB);
    // A server's memory is not the collector's.
    expect(insertBudgetBytes({ kind: 'server', insertMaxMemoryBytes: 'auto' }, 600 * MIB)).toBe(0);
  });
});

describe('ClickHouseStore', () => {
  describe('write', () => {
    it('sends each insert under the memory budget and lifts it for a batch refused for it too often', async () => {
      const fake = new SettingsClient();
      const store = new ClickHouseStore({
        client: fake as unknown as ClickHouseClient,
        database: 'agenttail',
        retry: { initialMs: 1, maxMs: 2, maxAttempts: 10 },
        log: silentLogger(),
        insertBudgetBytes: 60 * MIB,
        flushIntervalMs: 3_600_000,
      });
      const over = (): ClickHouseError => new ClickHouseError({ message: 'Query memory limit exceeded', code: '241', type: 'MEMORY_LIMIT_EXCEEDED' });
      fake.failures.push(...Array.from({ length: BUDGET_FAILURES_BEFORE_LIFT }, over));
      store.write(randomSession({ tenantId: 't', rand: seeded(7), kept: false, baseNs: 1_700_000_000_000_000_000n }).write);
      await store.forceFlush();
      const budget = String(60 * MIB);
      const sessions = fake.settings.filter((x) => x.table === 'sessions');
      // Under the budget until refused BUDGET_FAILURES_BEFORE_LIFT times, then the same batch (token) once more without it.
      expect(sessions.map((x) => x.max_memory_usage)).toEqual([...Array.from({ length: BUDGET_FAILURES_BEFORE_LIFT }, () => budget), undefined]);
      expect(new Set(sessions.map((x) => x.insert_deduplication_token)).size).toBe(1);
      // The other tables' batches carry the budget.
      const others = fake.settings.filter((x) => x.table !== 'sessions');
      expect(others.length).toBeGreaterThan(0);
      expect(others.every((x) => x.max_memory_usage === budget)).toBe(true);
      await store.shutdown();
    });
  });
});

describe('OverloadGuard', () => {
  describe('peakRssBytes', () => {
    it('is the highest RSS sampled, not the last', () => {
      let clock = 0;
      const rss = [100, 300, 200];
      const guard = new OverloadGuard({ maxLagMs: 0, maxRssBytes: 1_000, retryAfterMs: 1, now: () => clock, readRssBytes: () => rss.shift() ?? 50 });
      guard.start();
      for (let i = 0; i < 3; i++) {
        clock += 100;
        guard.tick();
      }
      guard.stop();
      expect(guard.peakRssBytes).toBe(300);
    });
  });
});
