/**
 * Opening the store's back end (one job of the store): a client for the configured engine — embedded chDB or a
 * ClickHouse server — with the migrations applied first (on a server, through a bootstrap client on `default`, since
 * the database may not exist yet).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { StoreConfig } from '../config/store.js';
import type { Logger } from '../log.js';
import { runMigrations } from './migrations.js';
import { createStoreClient } from './store-client.js';

/** A client of the configured back end, migrated unless `migrate` is false. */
export async function connectStore(config: StoreConfig, log: Logger, migrate: boolean): Promise<ClickHouseClient> {
  if (!migrate) return createStoreClient(config);
  const bootstrap = config.kind === 'server' ? await createStoreClient(config, 'default') : null;
  const client = bootstrap ?? (await createStoreClient(config));
  try {
    await runMigrations({ client, database: config.database, log });
  } catch (err) {
    await client.close();
    throw err;
  }
  // Embedded: the migrated client is the store's. Server: the store's client names the database.
  if (bootstrap === null) return client;
  await bootstrap.close();
  return createStoreClient(config);
}
