/**
 * "Session explorer": kept sessions → one session (decision, reasons, its turns) → one turn's span tree in Grafana's
 * trace view. The trace panel's query returns the columns the plugin's trace query returns for an OTel table
 * (traceID, spanID, parentSpanID, serviceName, operationName, startTime ms, duration ms, tags/serviceTags as
 * Array(Map(String, String)), statusCode, logs from Events, references from Links, ...), bounded in time by the
 * trace_ts lookup like the plugin's trace-id query.
 */
import { DB, SESSIONS_WHERE, filterVariables, hasAnyFilter } from './filters.js';
import { COLUMNS, type DashboardSpec } from './grafana.js';

const SELF = '/d/agenttail-sessions/agenttail-session-explorer';
const SESSION = '${session:singlequote}';
const SESSION_RANGE = [
  `Timestamp >= (SELECT min(Start) FROM ${DB}.session_ts WHERE SessionId = ${SESSION})`,
  `Timestamp <= (SELECT max(End) FROM ${DB}.session_ts WHERE SessionId = ${SESSION})`,
].join('\n  AND ');

/** Map(LowCardinality(String), String) → the plugin's Array(Map(String, String)) of {key, value}. */
function keyValues(expr: string): string {
  return `arrayMap(key -> map('key', key, 'value', ${expr}[key]), mapKeys(${expr}))`;
}

const TRACE_SQL = [
  `WITH \${trace:singlequote} AS trace_id,`,
  `  (SELECT min(Start) FROM ${DB}.trace_ts WHERE TraceId = trace_id) AS trace_start,`,
  `  (SELECT max(End) FROM ${DB}.trace_ts WHERE TraceId = trace_id) AS trace_end`,
  'SELECT',
  '  TraceId AS traceID,',
  '  SpanId AS spanID,',
  '  ParentSpanId AS parentSpanID,',
  '  ServiceName AS serviceName,',
  '  SpanName AS operationName,',
  '  multiply(toUnixTimestamp64Nano(Timestamp), 0.000001) AS startTime,',
  '  multiply(Duration, 0.000001) AS duration,',
  `  arrayConcat(${keyValues('SpanAttributes')}, [`,
  "    map('key', 'agenttail.session_id', 'value', SessionId),",
  "    map('key', 'agenttail.cost_usd', 'value', ifNull(toString(CostUsd), 'unknown')),",
  "    map('key', 'agenttail.tokens', 'value', concat('in ', toString(InputTokens), ' (cache read ', toString(CacheReadTokens), ') out ', toString(OutputTokens))),",
  "    map('key', 'agenttail.sampling_reasons', 'value', arrayStringConcat(SamplingReasons, ','))]) AS tags,",
  `  ${keyValues('ResourceAttributes')} AS serviceTags,`,
  "  if(StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) AS statusCode,",
  '  arrayMap((name, timestamp, attributes) -> tuple(name, toString(toUnixTimestamp64Milli(timestamp)),',
  `    ${keyValues('attributes')})::Tuple(name String, timestamp String, fields Array(Map(String, String))),`,
  '    Events.Name, Events.Timestamp, Events.Attributes) AS logs,',
  '  arrayMap((traceID, spanID, attributes) -> tuple(traceID, spanID,',
  `    ${keyValues('attributes')})::Tuple(traceID String, spanID String, tags Array(Map(String, String))),`,
  '    Links.TraceId, Links.SpanId, Links.Attributes) AS references,',
  '  SpanKind AS kind,',
  '  StatusMessage AS statusMessage,',
  '  ScopeName AS instrumentationLibraryName,',
  '  ScopeVersion AS instrumentationLibraryVersion,',
  '  TraceState AS traceState',
  `FROM ${DB}.spans`,
  'WHERE TraceId = trace_id',
  '  AND Timestamp >= trace_start AND Timestamp <= trace_end',
  '  AND $__conditionalAll(TenantId IN (${tenant:singlequote}), $tenant)',
  'ORDER BY startTime',
].join('\n');

/** The columns of the plugin's trace data frame (Grafana's trace view reads these names). */
export const TRACE_COLUMNS = [
  'traceID',
  'spanID',
  'parentSpanID',
  'serviceName',
  'operationName',
  'startTime',
  'duration',
  'tags',
  'serviceTags',
  'statusCode',
  'logs',
  'references',
  'kind',
  'statusMessage',
  'instrumentationLibraryName',
  'instrumentationLibraryVersion',
  'traceState',
];

export const sessionExplorer: DashboardSpec = {
  uid: 'agenttail-sessions',
  title: 'agenttail — Session explorer',
  description: 'Kept sessions; pick one to see its decision and turns, pick a turn to see its span tree.',
  tags: ['agenttail'],
  from: 'now-6h',
  variables: [
    ...filterVariables(),
    {
      kind: 'query',
      name: 'reason',
      label: 'Reason',
      description: 'Sampling reasons of kept sessions in the range',
      sql: `SELECT DISTINCT arrayJoin(Reasons) AS reason FROM ${DB}.sessions FINAL WHERE $__timeFilter(StartTime) AND Kept ORDER BY reason`,
      multi: true,
      includeAll: true,
    },
    { kind: 'textbox', name: 'session', label: 'Session id', description: 'The session to open (click a session in the table)' },
    {
      kind: 'query',
      name: 'trace',
      label: 'Turn (trace)',
      description: 'Stored traces of the session, in start order',
      sql: [
        `SELECT TraceId FROM ${DB}.spans`,
        `WHERE SessionId = ${SESSION}`,
        `  AND ${SESSION_RANGE}`,
        'GROUP BY TraceId',
        'ORDER BY min(Timestamp)',
      ].join('\n'),
      multi: false,
      includeAll: false,
    },
  ],
  sections: [
    {
      title: 'Kept sessions',
      panels: [
        {
          kind: 'sql',
          type: 'table',
          title: 'Kept sessions',
          description: 'Sessions whose spans are stored, newest first. Click a session id to open it below.',
          w: 24,
          h: 10,
          sql: [
            'SELECT SessionId AS session_id, TenantId AS tenant, StartTime AS start, DurationNs / 1e9 AS duration_s,',
            '  TraceCount AS traces, SpanCount AS spans, ErrorCount AS errors, toFloat64(CostUsd) AS cost_usd,',
            "  arrayStringConcat(Reasons, ', ') AS reasons, arrayStringConcat(AgentNames, ', ') AS agents,",
            "  arrayStringConcat(Models, ', ') AS models, MinEvalScore AS min_eval, SampleWeight AS weight",
            `FROM ${DB}.sessions FINAL`,
            `WHERE ${SESSIONS_WHERE}`,
            '  AND Kept',
            `  AND ${hasAnyFilter('reason', 'Reasons')}`,
            'ORDER BY StartTime DESC',
            'LIMIT 200',
          ].join('\n'),
          columns: [
            {
              name: 'session_id',
              displayName: 'Session',
              links: [{ title: 'Open this session', url: `${SELF}?var-session=\${__value.raw}&var-tenant=\${__data.fields.tenant}&\${__url_time_range}` }],
            },
            COLUMNS.tenant,
            COLUMNS.start,
            { name: 'duration_s', displayName: 'Duration', unit: 's' },
            { name: 'traces', displayName: 'Turns' },
            { name: 'spans', displayName: 'Spans' },
            COLUMNS.errors,
            COLUMNS.cost,
            COLUMNS.reasons,
            { name: 'agents', displayName: 'Agents' },
            { name: 'models', displayName: 'Models' },
            { name: 'min_eval', displayName: 'Min eval' },
            { name: 'weight', displayName: 'Weight' },
          ],
        },
      ],
    },
    {
      title: 'Session $session',
      panels: [
        {
          kind: 'sql',
          type: 'table',
          title: 'Decision',
          description: 'The latest version of the session row: decision, reasons, trigger, weight and totals.',
          w: 24,
          h: 4,
          sql: [
            "SELECT SessionId AS session_id, TenantId AS tenant, if(Kept, 'kept', 'dropped') AS decision, arrayStringConcat(Reasons, ', ') AS reasons,",
            '  DecisionTrigger AS trigger, DecidedAt AS decided_at, SampleWeight AS weight, toFloat64(CostUsd) AS cost_usd,',
            '  InputTokens AS input_tokens, CacheReadTokens AS cache_read_tokens, OutputTokens AS output_tokens,',
            "  arrayStringConcat(ToolPath, ' → ') AS tool_path, UserId AS user_id",
            `FROM ${DB}.sessions FINAL`,
            `WHERE SessionId = ${SESSION}`,
            '  AND $__conditionalAll(TenantId IN (${tenant:singlequote}), $tenant)',
          ].join('\n'),
          columns: [
            { name: 'session_id', displayName: 'Session' },
            COLUMNS.tenant,
            { name: 'decision', displayName: 'Decision' },
            COLUMNS.reasons,
            { name: 'trigger', displayName: 'Trigger' },
            { name: 'decided_at', displayName: 'Decided at' },
            { name: 'weight', displayName: 'Weight' },
            COLUMNS.cost,
            COLUMNS.inputTokens,
            COLUMNS.cacheReadTokens,
            COLUMNS.outputTokens,
            { name: 'tool_path', displayName: 'Tool path' },
            { name: 'user_id', displayName: 'User' },
          ],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Turns (traces) of the session',
          description: 'Each stored trace of the session with its root span; click a trace id to show its span tree.',
          w: 14,
          h: 8,
          sql: [
            "SELECT TraceId AS trace_id, min(Timestamp) AS start, argMinIf(SpanName, Timestamp, ParentSpanId = '') AS root_span,",
            "  count() AS spans, countIf(StatusCode = 'STATUS_CODE_ERROR') AS errors,",
            '  (max(toUnixTimestamp64Nano(Timestamp) + Duration) - min(toUnixTimestamp64Nano(Timestamp))) / 1e6 AS duration_ms,',
            "  toFloat64(sumIf(CostUsd, UsageRole = 'call')) AS cost_usd",
            `FROM ${DB}.spans`,
            `WHERE SessionId = ${SESSION}`,
            `  AND ${SESSION_RANGE}`,
            '  AND $__conditionalAll(TenantId IN (${tenant:singlequote}), $tenant)',
            'GROUP BY trace_id',
            'ORDER BY start',
          ].join('\n'),
          columns: [
            {
              name: 'trace_id',
              displayName: 'Trace',
              links: [{ title: 'Show this turn', url: `${SELF}?\${session:queryparam}&var-trace=\${__value.raw}&\${tenant:queryparam}&\${__url_time_range}` }],
            },
            COLUMNS.start,
            { name: 'root_span', displayName: 'Root span' },
            { name: 'spans', displayName: 'Spans' },
            COLUMNS.errors,
            { name: 'duration_ms', displayName: 'Duration', unit: 'ms' },
            COLUMNS.cost,
          ],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Evals of the session',
          description: 'Every eval result that targets the session or one of its traces and spans (events, attributes, evaluator spans, POST /v1/evals).',
          w: 10,
          h: 8,
          sql: [
            'SELECT Timestamp AS time, Name AS name, Score AS score, Label AS label, Source AS source, Explanation AS explanation',
            `FROM ${DB}.evals`,
            `WHERE (SessionId = ${SESSION} OR TraceId IN (SELECT arrayJoin(TraceIds) FROM ${DB}.sessions FINAL WHERE SessionId = ${SESSION}))`,
            '  AND $__conditionalAll(TenantId IN (${tenant:singlequote}), $tenant)',
            'ORDER BY Timestamp',
          ].join('\n'),
          columns: [
            { name: 'time', displayName: 'Time' },
            { name: 'name', displayName: 'Eval' },
            { name: 'score', displayName: 'Score' },
            { name: 'label', displayName: 'Label' },
            { name: 'source', displayName: 'Source' },
            { name: 'explanation', displayName: 'Explanation' },
          ],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Logs and events of the session',
          description:
            'Log records that joined the session (by trace or session id), beside the span each belongs to: GenAI message and inference-details events show under their model-call span, gen_ai.evaluation.result under the span it judged.',
          w: 24,
          h: 8,
          sql: [
            'SELECT l.Timestamp AS time, l.TraceId AS trace_id, s.span_name AS span, l.EventName AS event, l.SeverityText AS severity, l.Body AS body',
            `FROM ${DB}.logs AS l`,
            `LEFT JOIN (SELECT SpanId, any(SpanName) AS span_name FROM ${DB}.spans WHERE SessionId = ${SESSION} AND ${SESSION_RANGE} GROUP BY SpanId) AS s ON s.SpanId = l.SpanId`,
            `WHERE l.SessionId = ${SESSION}`,
            '  AND $__conditionalAll(l.TenantId IN (${tenant:singlequote}), $tenant)',
            'ORDER BY l.Timestamp',
            'LIMIT 1000',
          ].join('\n'),
          columns: [
            { name: 'time', displayName: 'Time' },
            {
              name: 'trace_id',
              displayName: 'Trace',
              links: [{ title: 'Show this turn', url: `${SELF}?\${session:queryparam}&var-trace=\${__value.raw}&\${tenant:queryparam}&\${__url_time_range}` }],
            },
            { name: 'span', displayName: 'Span' },
            { name: 'event', displayName: 'Event' },
            { name: 'severity', displayName: 'Severity' },
            { name: 'body', displayName: 'Body' },
          ],
        },
        {
          kind: 'sql',
          type: 'traces',
          title: 'Span tree of turn $trace',
          description:
            'Grafana trace view of the selected turn. Span attributes, resource attributes, events and links as the plugin maps them for OTel tables; agenttail.* tags add cost, tokens and sampling reasons.',
          w: 24,
          h: 16,
          sql: TRACE_SQL,
          columns: TRACE_COLUMNS.map((name) => ({ name })),
        },
      ],
    },
  ],
};
