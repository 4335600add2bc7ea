/**
 * How a table's rows are written as batch lines, and the INSERT that names their format (one job of the store).
 *
 * The tables every session write fills (`spans`, `sessions`, `session_ts`, `trace_ts`) go as **JSONCompactEachRow**:
 * each row is a JSON array of its values in the order of the table's column list below, and the INSERT names the
 * columns once. The other tables (rollups, evals, logs, metrics) go as JSONEachRow objects.
 *
 * Why (bench/store-format.ts on the e2e traffic's rows, against JSONEachRow in the same run): without the column names
 * in every row the bodies are 37 % smaller, the main thread writes the lines in 0.7× the CPU and the embedded engine
 * inserts them in 0.86×.
 *
 * A value a builder leaves undefined is written as null; the insert reads null in a column that is not Nullable as
 * the column's default (`input_format_null_as_default`, set on every insert), which is what an omitted key was in
 * JSONEachRow ('' / 0 for these tables: none of their columns has a DEFAULT expression). A key a builder sets that
 * is not in the list would be lost, so `test/unit/store-row-format.test.ts` checks every builder's keys against the
 * lists, and `test/integration/store-row-format-schema.test.ts` checks the lists against the migrated schema.
 */
import type { StoreTable } from './tables.js';

/** The columns of the tables written as JSONCompactEachRow, in the order of each row's values (schema order). */
export const COMPACT_COLUMNS: Readonly<Partial<Record<StoreTable, readonly string[]>>> = Object.freeze({
  spans: Object.freeze([
    'Timestamp', 'TraceId', 'SpanId', 'ParentSpanId', 'TraceState', 'SpanName', 'SpanKind', 'ServiceName', 'ResourceAttributes', 'ScopeName',
    'ScopeVersion', 'SpanAttributes', 'Duration', 'StatusCode', 'StatusMessage', 'Events.Timestamp', 'Events.Name', 'Events.Attributes',
    'Links.TraceId', 'Links.SpanId', 'Links.TraceState', 'Links.Attributes', 'TenantId', 'SessionId', 'GenAiOperation', 'GenAiProvider',
    'GenAiModel', 'GenAiAgent', 'GenAiTool', 'InputTokens', 'OutputTokens', 'CacheReadTokens', 'CacheWriteTokens', 'ReasoningTokens',
    'ServerAddress', 'ServerPort', 'Region', 'RegionSource', 'TtftMs', 'Refusal', 'RetryAfterMs', 'UsageRole', 'UsageIncomplete', 'CostUsd',
    'PriceVersion', 'SampleWeight', 'SamplingReasons', 'DetectorFlags',
  ]),
  sessions: Object.freeze([
    'TenantId', 'SessionId', 'ExplicitSession', 'StartTime', 'EndTime', 'DurationNs', 'ServiceNames', 'AgentNames', 'Models', 'Providers',
    'UserId', 'TraceIds', 'TraceCount', 'SpanCount', 'ErrorCount', 'ToolPath', 'InputTokens', 'OutputTokens', 'CacheReadTokens',
    'CacheWriteTokens', 'ReasoningTokens', 'CostUsd', 'UnpricedCalls', 'UsageIncompleteCalls', 'CostOverstatedUpToUsd', 'MinEvalScore', 'Kept',
    'Reasons', 'SampleWeight', 'DecisionTrigger', 'DecidedAt', 'Version', 'Bytes', 'Detectors', 'LoopLength', 'Refusals', 'RefusalsByProvider',
    'BackoffSeconds', 'DuplicateToolCallIds', 'RunawayModelCalls', 'RunawayToolCalls', 'ContextGrowth', 'CacheMissedTokens',
    'CacheCollapseExtraUsd', 'CacheChurnExtraUsd', 'ExcusedErrors',
  ]),
  session_ts: Object.freeze(['TenantId', 'SessionId', 'Start', 'End']),
  trace_ts: Object.freeze(['TenantId', 'TraceId', 'Start', 'End']),
});

/**
 * A compact table's row as its values in column order. Generated from the constant column lists above (nothing else
 * goes into the source), so each column is a fixed property read with its own inline cache: reading `row[name]` in a
 * loop over the names cost as much as the key text saved (bench/store-format.ts).
 */
type ValuesOf = (row: Record<string, unknown>) => unknown[];
const VALUES = new Map<string, ValuesOf>();
for (const [table, columns] of Object.entries(COMPACT_COLUMNS)) {
  VALUES.set(table, new Function('row', `return [${columns.map((c) => `row[${JSON.stringify(c)}]`).join(', ')}];`) as ValuesOf);
}

/** The insert format of `table`'s batches. */
export function rowFormat(table: string): 'JSONCompactEachRow' | 'JSONEachRow' {
  return VALUES.has(table) ? 'JSONCompactEachRow' : 'JSONEachRow';
}

/** One row of `table` as its batch line (no newline): a JSON array in column order for a compact table, else the object. */
export function rowLine(table: string, row: Record<string, unknown>): string {
  const values = VALUES.get(table);
  return values === undefined ? JSON.stringify(row) : JSON.stringify(values(row));
}

/** The INSERT of a batch of `table` lines (rowLine), with the column list of a compact table. */
export function insertStatement(database: string, table: string): string {
  const columns = COMPACT_COLUMNS[table as StoreTable];
  return columns === undefined ? `INSERT INTO ${database}.${table} FORMAT JSONEachRow` : `INSERT INTO ${database}.${table} (${columns.join(', ')}) FORMAT JSONCompactEachRow`;
}

/**
 * A batch line of `table` as a JSONEachRow object line (newline kept if it had one): what a dead letter keeps, so it
 * can be re-inserted with `INSERT INTO <table> FORMAT JSONEachRow` whatever the batch's format was.
 */
export function objectLine(table: string, line: string): string {
  const columns = COMPACT_COLUMNS[table as StoreTable];
  if (columns === undefined) return line;
  const nl = line.endsWith('\n');
  let values: unknown;
  try {
    values = JSON.parse(nl ? line.slice(0, -1) : line);
  } catch {
    return line;
  }
  if (!Array.isArray(values)) return line;
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length && i < values.length; i++) if (values[i] !== null) row[columns[i]!] = values[i];
  return JSON.stringify(row) + (nl ? '\n' : '');
}
