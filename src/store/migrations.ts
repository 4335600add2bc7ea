/** Applies the numbered SQL files of `schema/` once each, recording them in `schema_migrations`. */
import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../log.js';
import { AgtError } from '../model/errors.js';
import { clusterCreateDatabase, toClusterStatements } from './cluster-ddl.js';

/** The schema folder shipped with agenttail (two levels above src/store or dist/store). */
export const defaultSchemaDir = fileURLToPath(new URL('../../schema/', import.meta.url));

/** One migration file, its statements already split and the database substituted. */
export interface Migration {
  name: string;
  checksum: string;
  statements: string[];
}

/** Database names are spliced into DDL, so only plain identifiers are allowed. */
export function checkDatabaseName(database: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(database)) {
    throw new AgtError('AGT_ERR_CONFIG_INVALID', `store.database "${database}" is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`);
  }
}

/** Splits a SQL file into statements (a statement ends with `;` at the end of a line) and drops comments. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n');
  return withoutComments
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads `NNN_name.sql` files of a folder in order, substituting `{{database}}`; `cluster` rewrites them (cluster-ddl.ts). */
export async function loadMigrations(dir: string, database: string, opts: { cluster?: boolean } = {}): Promise<Migration[]> {
  checkDatabaseName(database);
  const names = (await readdir(dir)).filter((n) => /^\d{3}_[a-z0-9_]+\.sql$/.test(n)).sort();
  const out: Migration[] = [];
  for (const name of names) {
    const text = await readFile(`${dir.replace(/\/$/, '')}/${name}`, 'utf8');
    const statements = splitStatements(text.replaceAll('{{database}}', database));
    out.push({
      name,
      checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
      statements: opts.cluster ? toClusterStatements(statements) : statements,
    });
  }
  return out;
}

/** Result of a migration run: which files were applied now and which had been applied before. */
export interface MigrationReport {
  applied: string[];
  skipped: string[];
}

/** Creates the database and applies every migration not yet recorded in `schema_migrations`. */
export async function runMigrations(params: {
  client: ClickHouseClient;
  database: string;
  log: Logger;
  dir?: string;
  /** Replicated + Distributed tables ON CLUSTER '{cluster}' (src/store/cluster-ddl.ts). */
  cluster?: boolean;
}): Promise<MigrationReport> {
  const { client, database, log } = params;
  const migrations = await loadMigrations(params.dir ?? defaultSchemaDir, database, { cluster: params.cluster });
  try {
    await client.command({ query: params.cluster ? clusterCreateDatabase(database) : `CREATE DATABASE IF NOT EXISTS ${database}` });
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
        (Name String, Checksum String, AppliedAt DateTime64(3) DEFAULT now64(3))
        ENGINE = ReplacingMergeTree ORDER BY Name`,
    });
    const rs = await client.query({
      query: `SELECT DISTINCT Name FROM ${database}.schema_migrations`,
      format: 'JSONEachRow',
    });
    const done = new Set((await rs.json<{ Name: string }>()).map((r) => r.Name));
    const report: MigrationReport = { applied: [], skipped: [] };
    for (const m of migrations) {
      if (done.has(m.name)) {
        report.skipped.push(m.name);
        continue;
      }
      for (const statement of m.statements) await client.command({ query: statement });
      await client.insert({
        table: `${database}.schema_migrations`,
        values: [{ Name: m.name, Checksum: m.checksum }],
        format: 'JSONEachRow',
      });
      report.applied.push(m.name);
      log.info({ migration: m.name }, 'schema migration applied');
    }
    return report;
  } catch (cause) {
    if (cause instanceof AgtError) throw cause;
    throw new AgtError('AGT_ERR_STORE', `schema migration failed: ${(cause as Error).message}`, { cause });
  }
}
