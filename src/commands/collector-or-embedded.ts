/**
 * What the data commands (`costs`, `reprice`) share: period flags, and running through a running collector's API or,
 * when none listens, on the embedded data directory itself (chDB locks a data directory to one process, so the
 * command can open it only when no collector holds it).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { periodError, timeOrThrow } from '../api/strict-time.js';
import type { StoreConfig } from '../config/store.js';
import { AgtError } from '../model/errors.js';
import { createStoreClient } from '../store/store-client.js';
import type { CollectorUrl } from './collector-address.js';
import type { DataSource } from './data-source.js';

/** `--from` / `--to` as epoch ms (strict-time.ts forms); AGT_ERR_BAD_QUERY naming the flag, or an empty or inverted period. */
export function parsePeriodFlags(from: string, to: string): { fromMs: number; toMs: number } {
  const fromMs = timeOrThrow('--from', from);
  const toMs = timeOrThrow('--to', to);
  const bad = periodError({ from: '--from', to: '--to' }, fromMs, toMs);
  if (bad !== null) throw bad;
  return { fromMs, toMs };
}

/**
 * `api(url)` against the configured collector; when the config names no HTTP receiver, or nothing listens at its
 * address, and the store is embedded, `embedded(client)` on the data directory (the client is closed afterwards).
 * Errors of `api()` other than a refused connection pass. The source says which ran, where, and why it fell back.
 */
export async function viaCollectorOrEmbedded<T>(p: {
  collector: CollectorUrl;
  store: StoreConfig;
  api: (url: string) => Promise<T>;
  embedded: (client: ClickHouseClient) => Promise<T>;
}): Promise<{ value: T; source: DataSource }> {
  const { url, origin } = p.collector;
  let fallbackReason = origin;
  let noCollector = origin;
  if (url !== null) {
    try {
      return { value: await p.api(url), source: { kind: 'api', url, urlOrigin: origin } };
    } catch (err) {
      if (err instanceof AgtError || !isConnectionRefused(err)) throw err;
      noCollector = `no collector at ${url}`;
      fallbackReason = `no collector answered at ${url}, the address from ${origin}`;
      if (p.store.kind !== 'embedded') throw new AgtError('AGT_ERR_STORE', noCollector, { cause: err });
    }
  } else if (p.store.kind !== 'embedded') {
    throw new AgtError('AGT_ERR_STORE', `no collector to ask: ${origin}`);
  }
  assertEmbeddedStoreExists(noCollector, p.store);
  let client: ClickHouseClient;
  try {
    client = await createStoreClient(p.store);
  } catch (e) {
    throw new AgtError('AGT_ERR_STORE', `${noCollector}, and the data directory ${p.store.path} cannot be opened (is another process holding it?): ${(e as Error).message}`, { cause: e });
  }
  try {
    return { value: await p.embedded(client), source: { kind: 'embedded', path: p.store.path, fallbackReason } };
  } finally {
    await client.close();
  }
}

/**
 * Refuses before opening: opening the embedded engine on a path creates a store there, so a command run from the
 * wrong directory would leave an empty store behind and then fail on the missing database. `noCollector` says why
 * the command looked there.
 */
export function assertEmbeddedStoreExists(noCollector: string, store: StoreConfig): void {
  const path = resolve(store.path);
  // The engine keeps one `metadata/<database>.sql` per database it holds.
  if (existsSync(join(path, 'metadata', `${store.database}.sql`))) return;
  throw new AgtError(
    'AGT_ERR_STORE',
    `${noCollector}, and no embedded store at ${path} (no database "${store.database}" there); run from the directory that holds the collector's data, or pass --config with its store.path / --url of a running collector`,
  );
}

/** True when a fetch failed because nothing listens at the address (no collector runs). */
export function isConnectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED' || (err as { code?: string }).code === 'ECONNREFUSED';
}
