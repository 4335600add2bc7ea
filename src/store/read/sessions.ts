/**
 * Session lookup reads, as GET /api/v1/sessions[/:id] answers them: the latest version of each session row (FINAL:
 * ReplacingMergeTree(Version), docs/storage.md) and a kept session's spans. Money as exact decimal text, times
 * ISO-8601 UTC with a `Z`. The route parses, scopes and answers; these run the queries.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/** SQL printing a DateTime64 column as ISO-8601 UTC with microseconds and a `Z` (`2026-12-02T15:01:02.123456Z`). */
export function isoUtcSql(column: string): string {
  return `formatDateTime(${column}, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC')`;
}

/** The columns of a session as the API answers it (money as exact decimal text, as costs answers it). */
const SESSION_COLUMNS = `TenantId AS tenantId, SessionId AS sessionId, Kept AS kept, Reasons AS reasons, SampleWeight AS sampleWeight,
  toString(CostUsd) AS costUsd, UsageIncompleteCalls AS usageIncompleteCalls, toString(CostOverstatedUpToUsd) AS costOverstatedUpToUsd,
  InputTokens AS inputTokens, OutputTokens AS outputTokens, CacheReadTokens AS cacheReadTokens,
  CacheWriteTokens AS cacheWriteTokens, ReasoningTokens AS reasoningTokens, SpanCount AS spanCount, ErrorCount AS errorCount,
  TraceIds AS traceIds, ToolPath AS toolPath, AgentNames AS agents, Models AS models, MinEvalScore AS minEvalScore,
  DecisionTrigger AS trigger, ${isoUtcSql('StartTime')} AS startTime, ${isoUtcSql('EndTime')} AS endTime, ${isoUtcSql('DecidedAt')} AS decidedAt,
  Version AS version, Detectors AS detectors, LoopLength AS loopLength, Refusals AS refusals, BackoffSeconds AS backoffSeconds,
  DuplicateToolCallIds AS duplicateToolCallIds, toString(CacheCollapseExtraUsd + CacheChurnExtraUsd) AS cacheExtraUsd`;

/** Which sessions a page lists; `after` is the last row of the previous page (its start, tenant and id). */
export interface SessionListFilter {
  fromMs: number;
  toMs: number;
  tenant: string | null;
  kept?: boolean;
  reason?: string;
  sessionPrefix?: string;
  after?: { startNs: string; tenantId: string; sessionId: string };
  /** Rows of the page: one more is read, to say whether a next page exists. */
  limit: number;
}

/** One page of sessions, newest first, plus one row when there is more (`cursorStartNs`: the row's start in ns). */
export async function listSessions(client: ClickHouseClient, database: string, f: SessionListFilter): Promise<(Record<string, unknown> & { cursorStartNs: string })[]> {
  const where = ['StartTime >= fromUnixTimestamp64Milli({from:Int64})', 'StartTime <= fromUnixTimestamp64Milli({to:Int64})'];
  const qp: Record<string, unknown> = { from: f.fromMs, to: f.toMs };
  if (f.tenant !== null) {
    where.push('TenantId = {tenant:String}');
    qp.tenant = f.tenant;
  }
  if (f.kept !== undefined) where.push(`Kept = ${f.kept ? 1 : 0}`);
  if (f.reason !== undefined) {
    where.push('has(Reasons, {reason:String})');
    qp.reason = f.reason;
  }
  if (f.sessionPrefix !== undefined) {
    where.push('startsWith(SessionId, {prefix:String})');
    qp.prefix = f.sessionPrefix;
  }
  if (f.after !== undefined) {
    where.push('(StartTime, TenantId, SessionId) < (fromUnixTimestamp64Nano({cs:Int64}), {ct:String}, {ci:String})');
    Object.assign(qp, { cs: f.after.startNs, ct: f.after.tenantId, ci: f.after.sessionId });
  }
  // The order is total, so pages neither skip nor repeat rows.
  const rs = await client.query({
    query: `SELECT ${SESSION_COLUMNS}, toString(toUnixTimestamp64Nano(StartTime)) AS cursorStartNs FROM ${database}.sessions FINAL
      WHERE ${where.join(' AND ')} ORDER BY StartTime DESC, TenantId DESC, SessionId DESC LIMIT {limit:UInt32}`,
    query_params: { ...qp, limit: f.limit + 1 },
    format: 'JSONEachRow',
  });
  return rs.json<Record<string, unknown> & { cursorStartNs: string }>();
}

/** The session rows with this id (of `tenant`, or of every tenant when null), at most `maxRows`. */
export async function sessionsById(client: ClickHouseClient, database: string, id: string, tenant: string | null, maxRows: number): Promise<Record<string, unknown>[]> {
  const qp: Record<string, unknown> = { id };
  let tenantCond = '';
  if (tenant !== null) {
    tenantCond = ' AND TenantId = {tenant:String}';
    qp.tenant = tenant;
  }
  const rs = await client.query({
    query: `SELECT ${SESSION_COLUMNS} FROM ${database}.sessions FINAL WHERE SessionId = {id:String}${tenantCond} ORDER BY TenantId LIMIT ${maxRows}`,
    query_params: qp,
    format: 'JSONEachRow',
  });
  return rs.json<Record<string, unknown>>();
}

/** The stored spans of one session, in time order. */
export async function spansOfSession(client: ClickHouseClient, database: string, tenant: string, id: string): Promise<Record<string, unknown>[]> {
  const rs = await client.query({
    query: `SELECT TraceId AS traceId, SpanId AS spanId, ParentSpanId AS parentSpanId, SpanName AS name, ServiceName AS service,
      ${isoUtcSql('Timestamp')} AS timestamp, Duration AS durationNs, StatusCode AS statusCode, GenAiOperation AS operation,
      GenAiModel AS model, GenAiTool AS tool, InputTokens AS inputTokens, OutputTokens AS outputTokens,
      if(isNull(CostUsd), NULL, toString(CostUsd)) AS costUsd, UsageIncomplete AS usageIncomplete, DetectorFlags AS detectorFlags
      FROM ${database}.spans WHERE TenantId = {tenant:String} AND SessionId = {id:String} ORDER BY Timestamp LIMIT 100000`,
    query_params: { tenant, id },
    format: 'JSONEachRow',
  });
  return rs.json<Record<string, unknown>>();
}
