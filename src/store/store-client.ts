/** Creates the @clickhouse/client for the configured back end: embedded chDB or a ClickHouse server. */
import { mkdir } from 'node:fs/promises';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { StoreConfig } from '../config/store.js';
import { AgtError } from '../model/errors.js';
import { checkDatabaseName } from './migrations.js';

// The client's own logger prints multi-line text to stderr; the store logs every failure itself
// (pino JSON, with the ClickHouse code), so the client's is switched off.
const QUIET = { level: ClickHouseLogLevel.OFF };

type ClickHouseConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

/**
 * A client for `config.kind`; the embedded engine's data directory is created when missing.
 * `connectDatabase` overrides the server connection's default database (migrations connect to
 * `default`, since a server refuses requests naming a database that does not exist yet).
 */
export async function createStoreClient(config: StoreConfig, connectDatabase?: string): Promise<ClickHouseClient> {
  checkDatabaseName(config.database);
  if (config.kind === 'embedded') {
    try {
      await mkdir(config.path, { recursive: true });
      // chdb types its Connection against its own copy of @clickhouse/client-common; the runtime
      // contract is the same (chdb's tests run @clickhouse/client over it), hence the cast.
      const connection = createChdbConnection({ path: config.path }) as unknown as ClickHouseConnection;
      return createClient({ connection, log: QUIET });
    } catch (cause) {
      throw new AgtError('AGT_ERR_STORE', `cannot open the embedded ClickHouse at ${config.path}: ${(cause as Error).message}`, { cause });
    }
  }
  const s = config.server;
  return createClient({
    url: s.url,
    username: s.username,
    password: s.password,
    database: connectDatabase ?? s.database,
    request_timeout: s.requestTimeoutMs,
    compression: { request: s.compression, response: s.compression },
    log: QUIET,
  });
}
