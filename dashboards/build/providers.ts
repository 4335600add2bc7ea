/**
 * "Providers": how each provider treated each tenant's calls — time to first token, refusals (429 / overload / 5xx)
 * over time and as a function of load (the knee), retry-after, cache-hit share. Refusals, load and mean TTFT come
 * from provider_minutely (exact, every session); TTFT percentiles from kept spans, re-weighted by SampleWeight.
 */
import { DB, PROVIDER_WHERE, SPANS_WHERE, USAGE_WHERE, filterVariables } from './filters.js';
import { COLUMNS, type DashboardSpec } from './grafana.js';

const MINUTELY = `${DB}.provider_minutely`;
const EXACT = 'Exact: from the provider_minutely rollup, every model call of every session, dropped sessions included (tenant and model filters apply; it has no service or agent).';
const WEIGHTED = 'Estimated from kept sessions: each stored call counts SampleWeight (1 / keep probability of its session).';
/** Model-call spans that reported a time to first token. */
const TTFT_SPANS = `TtftMs IS NOT NULL\n  AND ${SPANS_WHERE}`;

/** Calls per minute of a tenant and provider, rounded down to a power of two: the load buckets of the knee. */
const LOAD_BUCKET = 'pow(2, floor(log2(greatest(minute_calls, 1))))';

export const providers: DashboardSpec = {
  uid: 'agenttail-providers',
  title: 'agenttail — Providers',
  description: `Time to first token, throttling and cache hits per provider and model. ${EXACT}`,
  tags: ['agenttail'],
  from: 'now-6h',
  variables: filterVariables(),
  sections: [
    {
      title: 'Time to first token',
      panels: [
        {
          kind: 'sql',
          type: 'table',
          title: 'TTFT p50 / p95 / p99 per provider and model (re-weighted from kept spans)',
          description: `Quantiles of the time to first token the clients reported. ${WEIGHTED} The exact mean is in the next panel.`,
          w: 14,
          h: 8,
          sql: [
            'SELECT GenAiProvider AS provider, GenAiModel AS model, sum(SampleWeight) AS calls,',
            '  quantileExactWeighted(0.5)(TtftMs, toUInt64(round(SampleWeight * 1000))) AS p50_ms,',
            '  quantileExactWeighted(0.95)(TtftMs, toUInt64(round(SampleWeight * 1000))) AS p95_ms,',
            '  quantileExactWeighted(0.99)(TtftMs, toUInt64(round(SampleWeight * 1000))) AS p99_ms',
            `FROM ${DB}.spans`,
            `WHERE ${TTFT_SPANS}`,
            'GROUP BY provider, model',
            'ORDER BY calls DESC',
          ].join('\n'),
          columns: [
            COLUMNS.provider,
            COLUMNS.model,
            { name: 'calls', displayName: 'Calls (est.)' },
            { name: 'p50_ms', displayName: 'p50', unit: 'ms' },
            { name: 'p95_ms', displayName: 'p95', unit: 'ms' },
            { name: 'p99_ms', displayName: 'p99', unit: 'ms' },
          ],
        },
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Mean TTFT per provider (exact)',
          description: `Σ TTFT / calls that reported one. ${EXACT}`,
          w: 10,
          h: 8,
          unit: 'ms',
          sql: [
            'SELECT $__timeInterval(Minute) AS time, Provider AS provider, sum(TtftSumUs) / 1000 / sum(TtftCount) AS mean_ttft_ms',
            `FROM ${MINUTELY}`,
            `WHERE ${PROVIDER_WHERE}`,
            'GROUP BY time, provider',
            'HAVING sum(TtftCount) > 0',
            'ORDER BY time, provider',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'provider' }, { name: 'mean_ttft_ms' }],
        },
      ],
    },
    {
      title: 'Throttling (exact, every session)',
      panels: [
        {
          kind: 'sql',
          type: 'timeseries',
          title: 'Refusals per provider (429, overload, 5xx)',
          description: `Attempts the provider turned away: on model calls and their HTTP children (a call retried after a 429 counts each attempt). ${EXACT}`,
          w: 12,
          h: 8,
          bars: true,
          stacked: true,
          sql: [
            'SELECT $__timeInterval(Minute) AS time, Provider AS provider, sum(Refusals) AS refusals',
            `FROM ${MINUTELY}`,
            `WHERE ${PROVIDER_WHERE}`,
            'GROUP BY time, provider',
            'ORDER BY time, provider',
          ].join('\n'),
          columns: [{ name: 'time' }, { name: 'provider' }, { name: 'refusals' }],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Refusals by provider, model and kind',
          description: `Rate = refusals / attempts. Retry-after: mean of the waits providers sent with a refusal. ${EXACT}`,
          w: 12,
          h: 8,
          sql: [
            'SELECT Provider AS provider, Model AS model, sum(Attempts) AS attempts, sum(Refusals) AS refusals,',
            '  sum(Refusals) / greatest(sum(Attempts), 1) AS refusal_rate, sum(RateLimited) AS rate_limited, sum(Overloaded) AS overloaded,',
            '  sum(ServerErrors) AS server_errors, if(sum(RetryAfterCount) = 0, 0, sum(RetryAfterSumMs) / sum(RetryAfterCount)) AS mean_retry_after_ms',
            `FROM ${MINUTELY}`,
            `WHERE ${PROVIDER_WHERE}`,
            'GROUP BY provider, model',
            'ORDER BY refusals DESC, attempts DESC',
          ].join('\n'),
          columns: [
            COLUMNS.provider,
            COLUMNS.model,
            { name: 'attempts', displayName: 'Attempts' },
            { name: 'refusals', displayName: 'Refusals' },
            { name: 'refusal_rate', displayName: 'Refusal rate', unit: 'percentunit' },
            { name: 'rate_limited', displayName: '429 / throttled' },
            { name: 'overloaded', displayName: 'Overloaded' },
            { name: 'server_errors', displayName: '5xx' },
            { name: 'mean_retry_after_ms', displayName: 'Mean retry-after', unit: 'ms' },
          ],
        },
        {
          kind: 'sql',
          type: 'table',
          title: 'Refusal rate by load: the knee (calls/min in flight per tenant and provider)',
          description:
            'Each minute of each tenant × provider is put in a load bucket by the calls it had in flight (powers of two), with its tokens/min; ' +
            `the refusal rate per bucket shows at what load the provider starts to throttle that tenant — before the 429s dominate. ${EXACT}`,
          w: 24,
          h: 9,
          sql: [
            `SELECT provider, ${LOAD_BUCKET} AS calls_per_min, count() AS minutes, avg(minute_tokens) AS tokens_per_min,`,
            '  sum(minute_attempts) AS attempts, sum(minute_refusals) AS refusals, sum(minute_refusals) / greatest(sum(minute_attempts), 1) AS refusal_rate',
            'FROM (',
            '  SELECT TenantId, Provider AS provider, Minute, sum(Calls) AS minute_calls, sum(InputTokens + OutputTokens) AS minute_tokens,',
            '    sum(Attempts) AS minute_attempts, sum(Refusals) AS minute_refusals',
            `  FROM ${MINUTELY}`,
            `  WHERE ${PROVIDER_WHERE}`,
            '  GROUP BY TenantId, provider, Minute',
            ')',
            'GROUP BY provider, calls_per_min',
            'ORDER BY provider, calls_per_min',
          ].join('\n'),
          columns: [
            COLUMNS.provider,
            { name: 'calls_per_min', displayName: 'Calls/min (≥)' },
            { name: 'minutes', displayName: 'Minutes' },
            { name: 'tokens_per_min', displayName: 'Tokens/min (mean)' },
            { name: 'attempts', displayName: 'Attempts' },
            { name: 'refusals', displayName: 'Refusals' },
            { name: 'refusal_rate', displayName: 'Refusal rate', unit: 'percentunit' },
          ],
        },
      ],
    },
    {
      title: 'Cache hits (exact rollup)',
      panels: [
        {
          kind: 'sql',
          type: 'table',
          title: 'Cache-hit share per provider and model (exact)',
          description: 'Cache-read tokens / input tokens (input includes cache). Exact: from usage_hourly, every session, dropped ones included.',
          w: 24,
          h: 8,
          sql: [
            'SELECT Provider AS provider, Model AS model, sum(Calls) AS calls, sum(CacheReadTokens) AS cache_read_tokens, sum(InputTokens) AS input_tokens,',
            '  sum(CacheReadTokens) / greatest(sum(InputTokens), 1) AS cache_hit_share',
            `FROM ${DB}.usage_hourly`,
            `WHERE ${USAGE_WHERE}`,
            'GROUP BY provider, model',
            'ORDER BY input_tokens DESC',
          ].join('\n'),
          columns: [
            COLUMNS.provider,
            COLUMNS.model,
            COLUMNS.calls,
            COLUMNS.cacheReadTokens,
            COLUMNS.inputTokens,
            { name: 'cache_hit_share', displayName: 'Cache-hit share', unit: 'percentunit' },
          ],
        },
      ],
    },
  ],
};
