/** Creates the @clickhouse/client for the configured back end: embedded chDB or a ClickHouse server. */
import { mkdir } from 'node:fs/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { StoreConfig } from '../config/store.js';
import { AgtError } from '../errors.js';
import { checkDatabaseName } from './migrations.js';

type ClickHouseConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

/** A client for `config.kind`; the embedded engine's data directory is created when missing. */
export async function createStoreClient(config: StoreConfig): Promise<ClickHouseClient> {
  checkDatabaseName(config.database);
  if (config.kind === 'embedded') {
    try {
      await mkdir(config.path, { recursive: true });
      // chdb types its Connection against its own copy of @clickhouse/client-common; the runtime
      // contract is the same (chdb's tests run @clickhouse/client over it), hence the cast.
      const connection = createChdbConnection({ path: config.path }) as unknown as ClickHouseConnection;
      return createClient({ connection });
    } catch (cause) {
      throw new AgtError('AGT_ERR_STORE', `cannot open the embedded ClickHouse at ${config.path}: ${(cause as Error).message}`, { cause });
    }
  }
  const s = config.server;
  return createClient({
    url: s.url,
    username: s.username,
    password: s.password,
    database: s.database,
    request_timeout: s.requestTimeoutMs,
    compression: { request: s.compression, response: s.compression },
  });
}
