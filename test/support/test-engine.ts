/** An embedded ClickHouse engine per test file: a fresh temp dir, the schema applied, removed after the file's tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { runMigrations } from '../../src/store/migrations.js';

type Conn = NonNullable<Parameters<typeof createClient>[0]>['connection'];

/** An embedded engine in a fresh temp dir with the schema applied, opened before the file's tests and removed after them. */
export function useTestEngine(prefix: string): { readonly client: ClickHouseClient; rows<T>(query: string): Promise<T[]> } {
  let dir = '';
  let client: ClickHouseClient | null = null;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    client = createClient({ connection: createChdbConnection({ path: dir }) as unknown as Conn });
    await runMigrations({ client, database: 'agenttail', log: silentLogger() });
  });
  afterAll(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get client(): ClickHouseClient {
      if (client === null) throw new Error('the test engine opens in beforeAll');
      return client;
    },
    async rows<T>(query: string): Promise<T[]> {
      return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
    },
  };
}
