/**
 * "Tools": tool calls, error rates and latency per tool, and the rare tool paths the sampler kept. Tool spans are
 * stored for kept sessions only, so counts are estimates weighted by SampleWeight (1 / keep probability);
 * latency percentiles are over the stored calls, each weighted likewise.
 */
import { DB, SESSIONS_WHERE, SPANS_WHERE, filterVariables } from './filters.js';
import { COLUMNS, type DashboardSpec } from './grafana.js';

const TOOL_SPANS = `${DB}.spans`;
const TOOL_WHERE = `GenAiOperation = 'execute_tool'\n  AND ${SPANS_WHERE}`;
const ESTIMATE = 'Estimated from kept sessions: each stored call counts SampleWeight (1 / keep probability of its session).';

export const tools: DashboardSpec = {
  uid: 'agenttail-tools',
  title: 'agenttail — Tools',
  description: `Tool calls (execute_tool spans) of kept sessions. ${ESTIMATE}`,
  tags: ['agenttail'],
  from: 'now-6h',
  variables: [
    ...filterVariables(),
    {
      kind: 'query',
      name: 'tool',
      label: 'Tool',
      description: 'gen_ai.tool.name of stored tool calls',
      sql: `SELECT DISTINCT GenAiTool FROM ${DB}.spans WHERE $__timeFilter(Timestamp) AND GenAiOperation = 'execute_tool' ORDER BY GenAiTool`,
      multi: true,
      includeAll: true,
    },
  ],
  sections: [
    {
      title: 'Tool calls',
      panels: [
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Tool calls per tool (estimated)',
          description: ESTIMATE,
          w: 12,
          h: 8,
          sql: [
            'SELECT $__timeInterval(Timestamp) AS time, GenAiTool AS tool, sum(SampleWeight) AS calls',
            `FROM ${TOOL_SPANS}`,
            `WHERE ${TOOL_WHERE}`,
            "  AND $__conditionalAll(GenAiTool IN (${tool:singlequote}), $tool)",
            'GROUP BY time, tool',
            'ORDER BY time, tool',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'tool' }, { name: 'calls' }],
        },
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Tool error rate per tool',
          description: 'Weighted share of tool calls with status error. Every errored session is kept (weight 1), so errors are counted exactly.',
          w: 12,
          h: 8,
          unit: 'percentunit',
          sql: [
            'SELECT $__timeInterval(Timestamp) AS time, GenAiTool AS tool,',
            "  sumIf(SampleWeight, StatusCode = 'STATUS_CODE_ERROR') / sum(SampleWeight) AS error_rate",
            `FROM ${TOOL_SPANS}`,
            `WHERE ${TOOL_WHERE}`,
            "  AND $__conditionalAll(GenAiTool IN (${tool:singlequote}), $tool)",
            'GROUP BY time, tool',
            'ORDER BY time, tool',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'tool' }, { name: 'error_rate' }],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Tools: calls, errors and latency',
          description: `${ESTIMATE} Latency percentiles are weighted the same way.`,
          w: 24,
          h: 9,
          sql: [
            'SELECT GenAiTool AS tool,',
            '  count() AS stored_calls,',
            '  round(sum(SampleWeight)) AS estimated_calls,',
            "  countIf(StatusCode = 'STATUS_CODE_ERROR') AS errors,",
            "  sumIf(SampleWeight, StatusCode = 'STATUS_CODE_ERROR') / sum(SampleWeight) AS error_rate,",
            '  quantileExactWeighted(0.5)(Duration, toUInt64(round(SampleWeight * 1000))) / 1e6 AS p50_ms,',
            '  quantileExactWeighted(0.95)(Duration, toUInt64(round(SampleWeight * 1000))) / 1e6 AS p95_ms,',
            '  quantileExactWeighted(0.99)(Duration, toUInt64(round(SampleWeight * 1000))) / 1e6 AS p99_ms',
            `FROM ${TOOL_SPANS}`,
            `WHERE ${TOOL_WHERE}`,
            "  AND $__conditionalAll(GenAiTool IN (${tool:singlequote}), $tool)",
            'GROUP BY tool',
            'ORDER BY estimated_calls DESC',
          ].join('\n'),
          columns: [
            { name: 'tool', displayName: 'Tool' },
            { name: 'stored_calls', displayName: 'Stored calls' },
            { name: 'estimated_calls', displayName: 'Calls (est.)' },
            { name: 'errors', displayName: 'Errors (stored)' },
            { name: 'error_rate', displayName: 'Error rate', unit: 'percentunit' },
            { name: 'p50_ms', displayName: 'p50', unit: 'ms' },
            { name: 'p95_ms', displayName: 'p95', unit: 'ms' },
            { name: 'p99_ms', displayName: 'p99', unit: 'ms' },
          ],
        },
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Tool latency p95 per tool',
          description: 'Weighted p95 duration of stored tool calls.',
          w: 24,
          h: 8,
          unit: 'ms',
          sql: [
            'SELECT $__timeInterval(Timestamp) AS time, GenAiTool AS tool,',
            '  quantileExactWeighted(0.95)(Duration, toUInt64(round(SampleWeight * 1000))) / 1e6 AS p95_ms',
            `FROM ${TOOL_SPANS}`,
            `WHERE ${TOOL_WHERE}`,
            "  AND $__conditionalAll(GenAiTool IN (${tool:singlequote}), $tool)",
            'GROUP BY time, tool',
            'ORDER BY time, tool',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'tool' }, { name: 'p95_ms' }],
        },
      ],
    },
    {
      title: 'Rare tool paths kept',
      panels: [
        {
          kind: 'sql',
          type: 'table',
          title: 'Rare tool paths kept',
          description:
            'Sessions the rare_path policy kept (a tool trajectory the tenant seldom or never showed), grouped by their tool path, with an example session.',
          w: 24,
          h: 9,
          sql: [
            "SELECT arrayStringConcat(ToolPath, ' → ') AS tool_path, count() AS sessions, max(StartTime) AS last_seen,",
            '  any(SessionId) AS example_session, any(TenantId) AS tenant, sum(ErrorCount) AS errors',
            `FROM ${DB}.sessions FINAL`,
            `WHERE ${SESSIONS_WHERE}`,
            "  AND Kept AND has(Reasons, 'rare_path')",
            'GROUP BY tool_path',
            'ORDER BY last_seen DESC',
            'LIMIT 100',
          ].join('\n'),
          columns: [
            { name: 'tool_path', displayName: 'Tool path' },
            COLUMNS.sessions,
            { name: 'last_seen', displayName: 'Last seen' },
            {
              name: 'example_session',
              displayName: 'Example session',
              links: [{ title: 'Open in the session explorer', url: '/d/agenttail-sessions/agenttail-session-explorer?var-session=${__value.raw}&var-tenant=${__data.fields.tenant}&${__url_time_range}' }],
            },
            COLUMNS.tenant,
            COLUMNS.errors,
          ],
        },
      ],
    },
  ],
};
