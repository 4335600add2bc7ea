import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSchema } from '../../src/config/store.js';
import { silentLogger } from '../../src/log.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { runMigrations } from '../../src/store/migrations.js';
import { startClickHouseHttp, type ClickHouseHttp } from '../support/clickhouse-http.js';
import { randomSession, seeded } from './store-fixtures.js';

let dir: string;
let ch: ClickHouseHttp;
const log = silentLogger();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agt-store-http-'));
  ch = await startClickHouseHttp({ path: dir, username: 'agt', password: 's3cret' });
});

afterAll(async () => {
  await ch.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ClickHouseStore', () => {
  describe('open (server)', () => {
    it('migrates, writes and reads back through createClient({ url }) with auth, database and compression', async () => {
      const config = storeSchema.parse({
        kind: 'server',
        database: 'agt_http',
        server: { url: ch.url, username: 'agt', password: 's3cret', database: 'agt_http', compression: true, requestTimeoutMs: 5000 },
        retry: { initialMs: 1, maxMs: 5, maxAttempts: 3 },
      });
      const store = await ClickHouseStore.open({ config, log });
      const s = randomSession({ tenantId: 't-http', rand: seeded(11), kept: true, baseNs: BigInt(Date.now() - 3_600_000) * 1_000_000n });
      expect(store.write(s.write).status).toBe('ok');
      await store.shutdown();

      const reader = createClient({ url: ch.url, username: 'agt', password: 's3cret', database: 'agt_http', compression: { request: true, response: true } });
      const rs = await reader.query({ query: "SELECT count() AS n, sum(InputTokens) AS input FROM spans WHERE TenantId = 't-http' AND UsageRole = 'call'", format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ n: s.calls, input: s.usage.inputTokens }]);
      const rs2 = await reader.query({ query: "SELECT Kept FROM sessions FINAL WHERE TenantId = 't-http'", format: 'JSONEachRow' });
      expect(await rs2.json()).toEqual([{ Kept: true }]);
      await reader.close();

      // Migrations connect without naming the database they are about to create.
      expect(ch.seen[0]!.database).not.toBe('agt_http');
      expect(ch.seen[0]!.user).toBe('agt');
      const inserts = ch.seen.filter((r) => r.settings.insert_deduplication_token !== undefined);
      expect(inserts.length).toBeGreaterThan(0);
      expect(inserts.every((r) => r.database === 'agt_http' && r.user === 'agt' && r.gzipRequest && r.gzipResponse)).toBe(true);
    });

    it('rejects wrong credentials with the ClickHouse error code', async () => {
      const config = storeSchema.parse({ kind: 'server', server: { url: ch.url, username: 'agt', password: 'wrong' } });
      await expect(ClickHouseStore.open({ config, log })).rejects.toMatchObject({ code: 'AGT_ERR_STORE', cause: { code: '516' } });
    });

    it('times out a slow server and retries the insert', async () => {
      // Migrations through a client with the default timeout: on a loaded machine a DDL statement can pass 200 ms.
      const migrator = createClient({ url: ch.url, username: 'agt', password: 's3cret', log: { level: ClickHouseLogLevel.OFF } });
      await runMigrations({ client: migrator, database: 'agt_slow', log });
      await migrator.close();
      const client = createClient({ url: ch.url, username: 'agt', password: 's3cret', request_timeout: 200, log: { level: ClickHouseLogLevel.OFF } });
      const ids: string[] = [];
      const store = new ClickHouseStore({ client, database: 'agt_slow', retry: { initialMs: 1, maxMs: 5, maxAttempts: 5 }, log, onBatchWritten: (i) => ids.push(i.table) });
      ch.delayMs = 400;
      store.writeEvals('t', [{ name: 'q', score: 0.5, label: null, explanation: null, target: { sessionId: 's', traceId: null, spanId: null }, source: 'api', timeUnixNano: BigInt(Date.now()) * 1_000_000n }]);
      const flushed = store.forceFlush();
      await new Promise((r) => setTimeout(r, 500));
      ch.delayMs = 0;
      await flushed;
      expect(ids).toEqual(['evals']);
      const rs = await client.query({ query: "SELECT count() AS c FROM agt_slow.evals WHERE TenantId = 't'", format: 'JSONEachRow' });
      // The timed-out attempt did land; the retry carried the same token, so there is one row.
      expect(await rs.json()).toEqual([{ c: 1 }]);
      await store.shutdown();
    });
  });
});
