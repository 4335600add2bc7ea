/**
 * The cluster variant of the schema, derived from the single-node migrations so the two can never drift.
 *
 * Each single-node table `<db>.<name>` becomes a Replicated*MergeTree `<db>.<name>_local ON CLUSTER '{cluster}'`
 * on every node, plus a Distributed `<db>.<name>` with the single-node name, so readers and the writer use the same
 * table names on both layouts. The servers must define the `{cluster}`, `{shard}` and `{replica}` macros.
 *
 * Sharding by cityHash64(TenantId, SessionId) puts a whole session (spans, session row, evals, lookups) on one
 * shard, so session reads touch one shard and ReplacingMergeTree FINAL collapses versions locally. usage_hourly
 * has no session key; it is sharded by tenant and read with sum() GROUP BY, which is correct across shards.
 * Replicated tables deduplicate inserts by themselves (replicated_deduplication_window), so the writer's
 * insert_deduplication_token works without `non_replicated_deduplication_window`, which is dropped here.
 * An `ALTER TABLE <db>.<name> ...` of a later migration is applied to both: the local table and the Distributed one
 * (without its `MODIFY ORDER BY`, which only the local table has).
 */
import { AgtError } from '../model/errors.js';

/** Distributed sharding key per table. A new table must choose one here (the transform refuses unknown tables). */
export const SHARD_KEYS: Record<string, string> = {
  spans: 'cityHash64(TenantId, SessionId)',
  sessions: 'cityHash64(TenantId, SessionId)',
  evals: 'cityHash64(TenantId, SessionId)',
  session_ts: 'cityHash64(TenantId, SessionId)',
  trace_ts: 'cityHash64(TenantId, TraceId)',
  usage_hourly: 'cityHash64(TenantId)',
  logs: 'cityHash64(TenantId, SessionId)',
  provider_minutely: 'cityHash64(TenantId)',
  // A handful of rows per run; any shard will do.
  reprice_runs: 'cityHash64(RunId)',
  // Parked rows of a batch; rare, read by table and time.
  dead_letter: 'cityHash64(BatchId)',
  // Read by time range over all shards; the session key spreads the writes.
  decisions: 'cityHash64(TenantId, SessionId)',
  // Metric points: a series on one shard, so a point delivered twice meets its copy there (ReplacingMergeTree).
  otel_metrics_sum: 'cityHash64(TenantId, ServiceName, MetricName)',
  otel_metrics_gauge: 'cityHash64(TenantId, ServiceName, MetricName)',
  otel_metrics_histogram: 'cityHash64(TenantId, ServiceName, MetricName)',
  otel_metrics_exponential_histogram: 'cityHash64(TenantId, ServiceName, MetricName)',
  otel_metrics_summary: 'cityHash64(TenantId, ServiceName, MetricName)',
};

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)\s*\(/;
const ALTER_TABLE = /^ALTER TABLE (\w+)\.(\w+)\s+/;
/** `MODIFY ORDER BY (...)` clauses of an ALTER (key tuples of plain column names). */
const SORTING_KEY_CHANGE = /,?\s*MODIFY ORDER BY \([^)]*\)/g;

/** `CREATE DATABASE` for the cluster. */
export function clusterCreateDatabase(database: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${database} ON CLUSTER '{cluster}'`;
}

/** Rewrites the statements of one single-node migration into their cluster form (local table + Distributed). */
export function toClusterStatements(statements: string[]): string[] {
  const out: string[] = [];
  for (const statement of statements) {
    const alter = ALTER_TABLE.exec(statement);
    if (alter) {
      const [, database, table] = alter as unknown as [string, string, string];
      if (SHARD_KEYS[table] === undefined) throw new AgtError('AGT_ERR_CONFIG_INVALID', `cluster schema: ALTER of table ${table}, which is not in SHARD_KEYS`);
      const rest = statement.slice(alter[0].length);
      out.push(`ALTER TABLE ${database}.${table}_local ON CLUSTER '{cluster}' ${rest}`);
      // A Distributed table has columns but no sorting key: it takes the column changes only.
      const distributed = rest.replace(SORTING_KEY_CHANGE, '').replace(/^\s*,\s*/, '');
      if (distributed.trim() !== '') out.push(`ALTER TABLE ${database}.${table} ON CLUSTER '{cluster}' ${distributed}`);
      continue;
    }
    const m = CREATE_TABLE.exec(statement);
    if (!m) throw new AgtError('AGT_ERR_CONFIG_INVALID', `cluster schema: only CREATE TABLE and ALTER TABLE statements can be rewritten, got: ${statement.slice(0, 60)}…`);
    const [, database, table] = m as unknown as [string, string, string];
    const shardKey = SHARD_KEYS[table];
    if (shardKey === undefined) throw new AgtError('AGT_ERR_CONFIG_INVALID', `cluster schema: table ${table} has no sharding key in SHARD_KEYS`);
    const local = statement
      .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${database}.${table}_local ON CLUSTER '{cluster}'\n(`)
      .replace(/ENGINE = (\w*)MergeTree/, 'ENGINE = Replicated$1MergeTree')
      .replace(/,?\s*non_replicated_deduplication_window = \d+/, '')
      .replace(/\s*SETTINGS\s*$/, '');
    out.push(local);
    out.push(
      `CREATE TABLE IF NOT EXISTS ${database}.${table} ON CLUSTER '{cluster}' AS ${database}.${table}_local\n` +
        `ENGINE = Distributed('{cluster}', '${database}', '${table}_local', ${shardKey})`,
    );
  }
  return out;
}
