/**
 * "Agent health": the sessions the detectors (src/sampling/detectors/) found — tool loops, retry storms, duplicated
 * tool calls, budget races, stalls, runaways, cache collapse and churn — per agent and tenant, the extra USD of the
 * cache patterns, provider refusals, and the sessions themselves. Detectors run on every session and write their
 * columns on its row, kept or dropped, so these counts are exact (a weight of 1 per session, no re-weighting needed).
 */
import { DB, SESSIONS_WHERE, filterVariables } from './filters.js';
import { COLUMNS, type DashboardSpec } from './grafana.js';

const SESSIONS = `${DB}.sessions FINAL`;
const FIRED = `${SESSIONS_WHERE}\n  AND notEmpty(Detectors)`;
const EXACT = 'Exact: the detectors run on every session and their columns are on every session row, kept or dropped.';
const DETECTOR_FILTER = '$__conditionalAll(hasAny(Detectors, [${detector:singlequote}]), $detector)';
const EXPLORER = '/d/agenttail-sessions/agenttail-session-explorer';

export const agentHealth: DashboardSpec = {
  uid: 'agenttail-agent-health',
  title: 'agenttail — Agent health',
  description: `Sessions where an agent looped, stormed, duplicated, raced, stalled, ran away or lost its prompt cache. ${EXACT}`,
  tags: ['agenttail'],
  from: 'now-24h',
  variables: [
    ...filterVariables(),
    {
      kind: 'query',
      name: 'detector',
      label: 'Detector',
      description: 'Detectors that fired on sessions of the time range',
      sql: `SELECT DISTINCT arrayJoin(Detectors) AS detector FROM ${SESSIONS} WHERE $__timeFilter(StartTime) ORDER BY detector`,
      multi: true,
      includeAll: true,
    },
  ],
  sections: [
    {
      title: 'Detections',
      panels: [
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Sessions per detector over time',
          description: `Sessions each detector fired on, by session start. ${EXACT}`,
          w: 16,
          h: 8,
          bars: true,
          stacked: true,
          sql: [
            'SELECT $__timeInterval(StartTime) AS time, detector, count() AS sessions',
            `FROM ${SESSIONS}`,
            'ARRAY JOIN Detectors AS detector',
            `WHERE ${FIRED}`,
            `  AND ${DETECTOR_FILTER}`,
            'GROUP BY time, detector',
            'ORDER BY time, detector',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'detector' }, COLUMNS.sessions],
        },
        {
          kind: 'sql',
          type: 'stat',
          title: 'Share of sessions with a detection',
          description: `Sessions any detector fired on, over all sessions of the range. ${EXACT}`,
          w: 8,
          h: 8,
          unit: 'percentunit',
          sql: [`SELECT countIf(notEmpty(Detectors)) / count() AS share`, `FROM ${SESSIONS}`, `WHERE ${SESSIONS_WHERE}`].join('\n'),
          columns: [{ name: 'share', displayName: 'With a detection' }],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Detections per agent and tenant',
          description: `Sessions per detector, agent and tenant, with the share of them the sampler kept. ${EXACT}`,
          w: 24,
          h: 9,
          sql: [
            'SELECT TenantId AS tenant, agent, detector, count() AS sessions, countIf(Kept) / count() AS kept_share',
            `FROM ${SESSIONS}`,
            'ARRAY JOIN Detectors AS detector',
            'LEFT ARRAY JOIN AgentNames AS agent',
            `WHERE ${FIRED}`,
            `  AND ${DETECTOR_FILTER}`,
            'GROUP BY tenant, agent, detector',
            'ORDER BY sessions DESC',
            'LIMIT 200',
          ].join('\n'),
          columns: [COLUMNS.tenant, COLUMNS.agent, { name: 'detector', displayName: 'Detector' }, COLUMNS.sessions, { name: 'kept_share', displayName: 'Kept', unit: 'percentunit' }],
        },
        {
          kind: 'prom',
          type: 'timeseries',
          title: 'Detections per second (collectors)',
          description: 'agenttail_sampling_detections_total from the collectors, by detector: what the engines are finding right now.',
          w: 24,
          h: 7,
          queries: [{ expr: 'sum by (detector) (rate(agenttail_sampling_detections_total[$__rate_interval]))', legend: '{{detector}}' }],
        },
      ],
    },
    {
      title: 'Cost and providers',
      panels: [
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Extra USD of cache collapse and churn per tenant',
          description: `What the cache patterns cost above a working cache, at catalog prices: reads lost after a collapse priced as input, and cache writes never read priced above input. ${EXACT}`,
          w: 12,
          h: 8,
          unit: 'currencyUSD',
          sql: [
            'SELECT $__timeInterval(StartTime) AS time, TenantId AS tenant, sum(CacheCollapseExtraUsd + CacheChurnExtraUsd) AS extra_usd',
            `FROM ${SESSIONS}`,
            `WHERE ${SESSIONS_WHERE}`,
            "  AND hasAny(Detectors, ['cache_collapse', 'cache_churn'])",
            'GROUP BY time, tenant',
            'ORDER BY time, tenant',
          ].join('\n'),
          columns: [{ name: 'time' }, COLUMNS.tenant, { name: 'extra_usd', displayName: 'Extra cost', unit: 'currencyUSD' }],
        },
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Provider refusals per provider',
          description: `HTTP 429 / 408 / 5xx and rate-limit, overload or timeout errors on model calls and their requests, per provider, whether or not they made a storm. ${EXACT}`,
          w: 12,
          h: 8,
          sql: [
            'SELECT $__timeInterval(StartTime) AS time, provider, sum(refusals) AS refusals',
            `FROM ${SESSIONS}`,
            'ARRAY JOIN mapKeys(RefusalsByProvider) AS provider, mapValues(RefusalsByProvider) AS refusals',
            `WHERE ${SESSIONS_WHERE}`,
            '  AND Refusals > 0',
            'GROUP BY time, provider',
            'ORDER BY time, provider',
          ].join('\n'),
          columns: [{ name: 'time' }, COLUMNS.provider, { name: 'refusals', displayName: 'Refusals' }],
        },
      ],
    },
    {
      title: 'Sessions',
      panels: [
        {
          kind: 'sql',
          type: 'table',
          title: 'Sessions with a detection',
          description: 'Newest first, with each detector\'s figures. A kept session opens in the session explorer, where the culprit spans carry DetectorFlags.',
          w: 24,
          h: 10,
          sql: [
            'SELECT StartTime AS start, SessionId AS session, TenantId AS tenant, arrayStringConcat(AgentNames, \', \') AS agents,',
            "  arrayStringConcat(Detectors, ', ') AS detectors, Kept AS kept, LoopLength AS loop_length, Refusals AS refusals,",
            "  BackoffSeconds AS backoff_s, arrayStringConcat(DuplicateToolCallIds, ', ') AS duplicate_calls,",
            '  CacheCollapseExtraUsd + CacheChurnExtraUsd AS extra_usd',
            `FROM ${SESSIONS}`,
            `WHERE ${FIRED}`,
            `  AND ${DETECTOR_FILTER}`,
            'ORDER BY start DESC',
            'LIMIT 200',
          ].join('\n'),
          columns: [
            COLUMNS.start,
            {
              name: 'session',
              displayName: 'Session',
              links: [{ title: 'Open in the session explorer', url: `${EXPLORER}?var-session=\${__value.raw}&var-tenant=\${__data.fields.tenant}&\${__url_time_range}` }],
            },
            COLUMNS.tenant,
            { name: 'agents', displayName: 'Agents' },
            { name: 'detectors', displayName: 'Detectors' },
            { name: 'kept', displayName: 'Kept' },
            { name: 'loop_length', displayName: 'Loop length' },
            { name: 'refusals', displayName: 'Refusals' },
            { name: 'backoff_s', displayName: 'Backing off', unit: 's' },
            { name: 'duplicate_calls', displayName: 'Duplicated call ids' },
            { name: 'extra_usd', displayName: 'Extra cache cost', unit: 'currencyUSD' },
          ],
        },
      ],
    },
  ],
};
