/**
 * How a table's rows are written as batch lines, and the INSERT that names their format (one job of the store).
 *
 * Every table the store writes goes as **JSONCompactEachRow**: each row is a JSON array of its values in the order of
 * the table's column list below, and the INSERT names the columns once. Only dead letters (dead-letter.ts) stay
 * JSONEachRow objects, so a parked row can be re-inserted by hand.
 *
 * Why (bench/store-format.ts on the e2e traffic's rows, against JSONEachRow in the same run): without the column names
 * in every row the bodies are 37 % smaller, the main thread writes the lines in 0.7–0.8× the CPU and the embedded
 * engine inserts them in 0.83–0.86×.
 *
 * A value a builder leaves undefined is written as null; the insert reads null in a column that is not Nullable as
 * the column's default (`input_format_null_as_default`, set on every insert), which is what an omitted key was in
 * JSONEachRow: '' / 0 / NULL for the listed columns, none of which has a DEFAULT expression (a column that has one,
 * `logs.TimestampTime`, is not listed, so the engine computes it). A key a builder sets that is not in its table's list
 * would be lost, so `test/unit/store-row-format.test.ts` checks every builder's keys against the lists, and
 * `test/integration/store-row-format-schema.test.ts` checks the lists against the migrated schema and that a compact
 * line stores what the JSONEachRow object stored.
 */
import type { StoreTable } from './tables.js';

/** The columns of each table, in the order of each row's values (schema order; a new table must get its list). */
export const COMPACT_COLUMNS: Readonly<Record<StoreTable, readonly string[]>> = Object.freeze({
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
  usage_hourly: Object.freeze([
    'TenantId', 'Hour', 'ServiceName', 'AgentName', 'Provider', 'Model', 'RawModel', 'Region', 'Endpoint', 'Calls',
    'InputTokens', 'OutputTokens', 'CacheReadTokens', 'CacheWriteTokens', 'ReasoningTokens', 'CostUsd',
    'UnpricedCalls', 'ReportedCalls', 'Sessions', 'ModelSessions', 'UsageIncompleteCalls',
    'CacheUnreportedInputTokens', 'CostOverstatedUpToUsd',
  ]),
  provider_minutely: Object.freeze([
    'TenantId', 'Minute', 'Provider', 'Model', 'Region', 'Calls', 'Attempts', 'Refusals', 'RateLimited',
    'Overloaded', 'ServerErrors', 'RetryAfterCount', 'RetryAfterSumMs', 'InputTokens', 'OutputTokens', 'TtftCount',
    'TtftSumUs',
  ]),
  evals: Object.freeze([
    'TenantId', 'Timestamp', 'SessionId', 'TraceId', 'SpanId', 'Name', 'Score', 'Label', 'Explanation', 'Source',
  ]),
  logs: Object.freeze([
    'Timestamp', 'TraceId', 'SpanId', 'TraceFlags', 'SeverityText', 'SeverityNumber', 'ServiceName', 'Body',
    'ResourceSchemaUrl', 'ResourceAttributes', 'ScopeSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes',
    'LogAttributes', 'EventName', 'TenantId', 'SessionId',
  ]),
  otel_metrics_sum: Object.freeze([
    'ResourceAttributes', 'ResourceSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes',
    'ScopeDroppedAttrCount', 'ScopeSchemaUrl', 'ServiceName', 'MetricName', 'MetricDescription', 'MetricUnit',
    'Attributes', 'StartTimeUnix', 'TimeUnix', 'Value', 'Flags', 'Exemplars.FilteredAttributes',
    'Exemplars.TimeUnix', 'Exemplars.Value', 'Exemplars.SpanId', 'Exemplars.TraceId', 'AggregationTemporality',
    'IsMonotonic', 'TenantId',
  ]),
  otel_metrics_gauge: Object.freeze([
    'ResourceAttributes', 'ResourceSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes',
    'ScopeDroppedAttrCount', 'ScopeSchemaUrl', 'ServiceName', 'MetricName', 'MetricDescription', 'MetricUnit',
    'Attributes', 'StartTimeUnix', 'TimeUnix', 'Value', 'Flags', 'Exemplars.FilteredAttributes',
    'Exemplars.TimeUnix', 'Exemplars.Value', 'Exemplars.SpanId', 'Exemplars.TraceId', 'TenantId',
  ]),
  otel_metrics_histogram: Object.freeze([
    'ResourceAttributes', 'ResourceSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes',
    'ScopeDroppedAttrCount', 'ScopeSchemaUrl', 'ServiceName', 'MetricName', 'MetricDescription', 'MetricUnit',
    'Attributes', 'StartTimeUnix', 'TimeUnix', 'Count', 'Sum', 'BucketCounts', 'ExplicitBounds',
    'Exemplars.FilteredAttributes', 'Exemplars.TimeUnix', 'Exemplars.Value', 'Exemplars.SpanId', 'Exemplars.TraceId',
    'Flags', 'Min', 'Max', 'AggregationTemporality', 'TenantId',
  ]),
  otel_metrics_exponential_histogram: Object.freeze([
    'ResourceAttributes', 'ResourceSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes',
    'ScopeDroppedAttrCount', 'ScopeSchemaUrl', 'ServiceName', 'MetricName', 'MetricDescription', 'MetricUnit',
    'Attributes', 'StartTimeUnix', 'TimeUnix', 'Count', 'Sum', 'Scale', 'ZeroCount', 'PositiveOffset',
    'PositiveBucketCounts', 'NegativeOffset', 'NegativeBucketCounts', 'Exemplars.FilteredAttributes',
    'Exemplars.TimeUnix', 'Exemplars.Value', 'Exemplars.SpanId', 'Exemplars.TraceId', 'Flags', 'Min', 'Max',
    'AggregationTemporality', 'TenantId',
  ]),
  otel_metrics_summary: Object.freeze([
    'ResourceAttributes', 'ResourceSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes',
    'ScopeDroppedAttrCount', 'ScopeSchemaUrl', 'ServiceName', 'MetricName', 'MetricDescription', 'MetricUnit',
    'Attributes', 'StartTimeUnix', 'TimeUnix', 'Count', 'Sum', 'ValueAtQuantiles.Quantile', 'ValueAtQuantiles.Value',
    'Flags', 'TenantId',
  ]),
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

/** The column list of `table`; undefined for a table written as JSONEachRow objects (dead letters). */
function columnsOf(table: string): readonly string[] | undefined {
  return (COMPACT_COLUMNS as Readonly<Partial<Record<string, readonly string[]>>>)[table];
}

/** One row of `table` as its batch line (no newline): a JSON array in column order for a compact table, else the object. */
export function rowLine(table: string, row: Record<string, unknown>): string {
  const values = VALUES.get(table);
  return values === undefined ? JSON.stringify(row) : JSON.stringify(values(row));
}

/** The INSERT of a batch of `table` lines (rowLine), with the column list of a compact table. */
export function insertStatement(database: string, table: string): string {
  const columns = columnsOf(table);
  return columns === undefined ? `INSERT INTO ${database}.${table} FORMAT JSONEachRow` : `INSERT INTO ${database}.${table} (${columns.join(', ')}) FORMAT JSONCompactEachRow`;
}

/**
 * A batch line of `table` as a JSONEachRow object line (newline kept if it had one): what a dead letter keeps, so it
 * can be re-inserted with `INSERT INTO <table> FORMAT JSONEachRow` whatever the batch's format was.
 */
export function objectLine(table: string, line: string): string {
  const columns = columnsOf(table);
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
