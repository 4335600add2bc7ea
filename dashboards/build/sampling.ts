/**
 * "Sampling": what the decision engine did, from the sessions table (decision, reasons, trigger, decided-at), and the
 * buffer/refusal state that only the collectors know, from their Prometheus /metrics.
 */
import { DB, SESSIONS_WHERE, filterVariables } from './filters.js';
import { COLUMNS, type DashboardSpec } from './grafana.js';

const SESSIONS = `${DB}.sessions FINAL`;
/** Decisions are bucketed by when they were made; the filters still apply to the session. */
const DECIDED_WHERE = SESSIONS_WHERE.replace('$__timeFilter(StartTime)', '$__timeFilter(DecidedAt)');

export const sampling: DashboardSpec = {
  uid: 'agenttail-sampling',
  title: 'agenttail — Sampling',
  description:
    'Decisions, reasons, early decisions and upgrades from the sessions table (latest version of each session); buffer occupancy and refusals from the collectors\' Prometheus metrics.',
  tags: ['agenttail'],
  from: 'now-6h',
  variables: filterVariables(),
  sections: [
    {
      title: 'Decisions (sessions table)',
      panels: [
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Decisions by reason over time',
          description:
            'Sessions by decision time and reason (a session with several reasons counts once per reason; "dropped" = no keep reason). Reasons: error, low_eval, rule:<name>, cost_outlier, latency, rare_path, baseline, markers early:memory, budget:thinned, upgrade:*, drop:<rule>.',
          w: 24,
          h: 9,
          bars: true,
          stacked: true,
          sql: [
            'SELECT $__timeInterval(DecidedAt) AS time,',
            "  arrayJoin(if(empty(Reasons), [if(Kept, 'kept', 'dropped')], Reasons)) AS reason,",
            '  count() AS sessions',
            `FROM ${SESSIONS}`,
            `WHERE ${DECIDED_WHERE}`,
            'GROUP BY time, reason',
            'ORDER BY time, reason',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'reason' }, { name: 'sessions' }],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Kept rate per policy',
          description:
            'Per reason: kept sessions carrying it and their share of all sessions decided in the range. Shares add up to more than the kept share when sessions have several reasons.',
          w: 12,
          h: 9,
          sql: [
            'SELECT reason, countIf(Kept) AS kept_sessions, kept_sessions / any(total) AS share_of_all',
            'FROM (',
            '  SELECT Kept, Reasons, count() OVER () AS total',
            `  FROM ${SESSIONS}`,
            `  WHERE ${DECIDED_WHERE}`,
            ')',
            'ARRAY JOIN Reasons AS reason',
            'GROUP BY reason',
            'ORDER BY kept_sessions DESC',
          ].join('\n'),
          columns: [
            { name: 'reason', displayName: 'Reason' },
            { name: 'kept_sessions', displayName: 'Kept sessions' },
            { name: 'share_of_all', displayName: 'Share of all sessions', unit: 'percentunit' },
          ],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Decisions by trigger',
          description:
            'What completed each session: idle, max_age, max_spans, max_bytes, early:memory (buffer past its soft limit), shutdown, upgrade (latest version of the session).',
          w: 12,
          h: 9,
          sql: [
            'SELECT DecisionTrigger AS trigger, count() AS sessions, countIf(Kept) AS kept, if(count() = 0, 0, countIf(Kept) / count()) AS kept_share',
            `FROM ${SESSIONS}`,
            `WHERE ${DECIDED_WHERE}`,
            'GROUP BY trigger',
            'ORDER BY sessions DESC',
          ].join('\n'),
          columns: [
            { name: 'trigger', displayName: 'Trigger' },
            COLUMNS.sessions,
            { name: 'kept', displayName: 'Kept' },
            { name: 'kept_share', displayName: 'Kept share', unit: 'percentunit' },
          ],
        },
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Early decisions and upgrades over time',
          description:
            'Early: decided before completion because the buffer passed its soft memory limit (reason early:memory). Upgrades: dropped sessions turned kept by a later error or low eval (upgrade:*).',
          w: 12,
          h: 8,
          bars: true,
          sql: [
            'SELECT $__timeInterval(DecidedAt) AS time,',
            "  countIf(has(Reasons, 'early:memory')) AS early,",
            "  countIf(arrayExists(r -> startsWith(r, 'upgrade:'), Reasons)) AS upgrades",
            `FROM ${SESSIONS}`,
            `WHERE ${DECIDED_WHERE}`,
            'GROUP BY time',
            'ORDER BY time',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'early', displayName: 'early decisions' }, { name: 'upgrades', displayName: 'upgrades' }],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Recent upgrades',
          description: 'Sessions dropped at decision time and kept later, with why.',
          w: 12,
          h: 8,
          sql: [
            "SELECT SessionId AS session_id, TenantId AS tenant, DecidedAt AS decided_at, arrayStringConcat(Reasons, ', ') AS reasons",
            `FROM ${SESSIONS}`,
            `WHERE ${DECIDED_WHERE}`,
            "  AND arrayExists(r -> startsWith(r, 'upgrade:'), Reasons)",
            'ORDER BY DecidedAt DESC',
            'LIMIT 50',
          ].join('\n'),
          columns: [
            {
              name: 'session_id',
              displayName: 'Session',
              links: [{ title: 'Open in the session explorer', url: '/d/agenttail-sessions/agenttail-session-explorer?var-session=${__value.raw}&var-tenant=${__data.fields.tenant}&${__url_time_range}' }],
            },
            COLUMNS.tenant,
            { name: 'decided_at', displayName: 'Decided at' },
            COLUMNS.reasons,
          ],
        },
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Sample weight of kept sessions',
          description: 'Σ SampleWeight of kept sessions (the population they stand for) against the sessions decided.',
          w: 24,
          h: 7,
          sql: [
            'SELECT $__timeInterval(DecidedAt) AS time, count() AS decided, sumIf(SampleWeight, Kept) AS estimated_from_kept',
            `FROM ${SESSIONS}`,
            `WHERE ${DECIDED_WHERE}`,
            'GROUP BY time',
            'ORDER BY time',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'decided', displayName: 'sessions decided' }, { name: 'estimated_from_kept', displayName: 'Σ weight of kept' }],
        },
      ],
    },
    {
      title: 'Buffer and refusals (collector metrics, Prometheus)',
      panels: [
        {
          kind: 'prom',
          type: 'timeseries',
          title: 'Buffer occupancy',
          description: 'Bytes of buffered spans against sessions.maxBufferBytes, per collector. Early decisions start at softLimitRatio (0.8); refusals at 1.',
          w: 12,
          h: 8,
          unit: 'percentunit',
          queries: [{ expr: 'agenttail_sessions_buffered_bytes / agenttail_sessions_buffer_limit_bytes', legend: '{{instance}}' }],
        },
        {
          kind: 'prom',
          type: 'timeseries',
          title: 'Open sessions and buffered spans',
          description: 'Sessions and spans waiting for a decision, per collector.',
          w: 12,
          h: 8,
          queries: [
            { expr: 'agenttail_sessions_open_sessions', legend: 'sessions {{instance}}' },
            { expr: 'agenttail_sessions_buffered_spans', legend: 'spans {{instance}}' },
          ],
        },
        {
          kind: 'prom',
          type: 'timeseries',
          title: 'Refusals',
          description: 'Spans refused with a retryable or fatal answer by error code, and buffer refusals by reason (per second).',
          w: 12,
          h: 8,
          unit: 'short',
          queries: [
            { expr: 'sum by (reason) (rate(agenttail_receive_spans_refused_total[$__rate_interval]))', legend: 'spans {{reason}}' },
            { expr: 'sum by (reason) (rate(agenttail_sessions_refusals_total[$__rate_interval]))', legend: 'requests {{reason}}' },
          ],
        },
        {
          kind: 'prom',
          type: 'timeseries',
          title: 'Decisions per second by reason (collector counters)',
          description: 'The engine\'s own count of reasons, including sessions whose rows are still queued for the store.',
          w: 12,
          h: 8,
          queries: [{ expr: 'sum by (outcome, reason) (rate(agenttail_sampling_decision_reasons_total[$__rate_interval]))', legend: '{{outcome}} {{reason}}' }],
        },
      ],
    },
  ],
};
