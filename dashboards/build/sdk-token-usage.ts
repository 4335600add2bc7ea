/**
 * The cost dashboard's section comparing what the OpenTelemetry SDK's own `gen_ai.client.token.usage` histogram says
 * (OTLP metrics, otel_metrics_histogram) with the exact span rollup (usage_hourly), and their difference.
 */
import { DB, inFilter } from './filters.js';
import type { DashboardSpec } from './grafana.js';

/** The model a token-usage point names: the response model when the SDK gives one, else the request model. */
const MODEL = "if(Attributes['gen_ai.response.model'] != '', Attributes['gen_ai.response.model'], Attributes['gen_ai.request.model'])";

/** Tokens of one series in the range: delta points add up; a cumulative series counts its growth in the range. */
const SERIES_TOKENS = [
  'if(any(AggregationTemporality) = 1, sum(Sum),',
  '    if(min(StartTimeUnix) >= $__fromTime, max(Sum), max(Sum) - min(Sum)))',
].join('\n');

const SQL = [
  'WITH sdk AS (',
  "  SELECT tenant, service, model, sumIf(tokens, token_type = 'input') AS sdk_input, sumIf(tokens, token_type = 'output') AS sdk_output",
  '  FROM (',
  `    SELECT TenantId AS tenant, ServiceName AS service, ${MODEL} AS model, Attributes['gen_ai.token.type'] AS token_type,`,
  `      ${SERIES_TOKENS} AS tokens`,
  `    FROM ${DB}.otel_metrics_histogram FINAL`,
  "    WHERE MetricName = 'gen_ai.client.token.usage' AND $__timeFilter(TimeUnix)",
  `      AND ${inFilter('tenant', 'TenantId')}`,
  `      AND ${inFilter('service', 'ServiceName')}`,
  '    GROUP BY tenant, service, cityHash64(ResourceAttributes), cityHash64(Attributes), StartTimeUnix, model, token_type',
  '  )',
  `  WHERE ${inFilter('model', 'model')}`,
  '  GROUP BY tenant, service, model',
  '),',
  'exact AS (',
  '  SELECT TenantId AS tenant, ServiceName AS service, Model AS model, toFloat64(sum(InputTokens)) AS exact_input, toFloat64(sum(OutputTokens)) AS exact_output',
  `  FROM ${DB}.usage_hourly`,
  '  WHERE Hour >= toStartOfHour($__fromTime) AND Hour <= $__toTime',
  `    AND ${inFilter('tenant', 'TenantId')}`,
  `    AND ${inFilter('service', 'ServiceName')}`,
  `    AND ${inFilter('model', 'Model')}`,
  '  GROUP BY tenant, service, model',
  ')',
  'SELECT tenant, service, model, sdk_input, exact_input, sdk_input - exact_input AS input_difference,',
  '  sdk_output, exact_output, sdk_output - exact_output AS output_difference',
  'FROM sdk FULL OUTER JOIN exact USING (tenant, service, model)',
  'ORDER BY abs(input_difference) + abs(output_difference) DESC, tenant, service, model',
].join('\n');

/** The section, placed on the cost dashboard (cost-tenants.ts). */
export const sdkTokenUsageSection: DashboardSpec['sections'][number] = {
  title: 'SDK token metrics beside the exact rollup',
  panels: [
    {
      kind: 'sql',
      type: 'table',
      title: 'SDK gen_ai.client.token.usage vs exact span rollup',
      description:
        "Input and output tokens by tenant, service and model: the sum of the OpenTelemetry SDK's gen_ai.client.token.usage histograms " +
        '(OTLP metrics, never sampled; delta points added up, a cumulative series counted by its growth in the range) beside the exact ' +
        'rollup of the model-call spans (usage_hourly, every session, dropped ones included), and SDK minus exact. A difference means ' +
        'calls one side saw and the other did not (an uninstrumented client, a lost export, spans not sent) or a wrapper counted twice. ' +
        'The rollup counts whole hours from the hour the range starts in; the Agent filter does not apply (the histogram names no agent).',
      w: 24,
      h: 9,
      sql: SQL,
      columns: [
        { name: 'tenant', displayName: 'Tenant' },
        { name: 'service', displayName: 'Service' },
        { name: 'model', displayName: 'Model' },
        { name: 'sdk_input', displayName: 'SDK input tokens' },
        { name: 'exact_input', displayName: 'Exact input tokens' },
        { name: 'input_difference', displayName: 'Input: SDK − exact' },
        { name: 'sdk_output', displayName: 'SDK output tokens' },
        { name: 'exact_output', displayName: 'Exact output tokens' },
        { name: 'output_difference', displayName: 'Output: SDK − exact' },
      ],
    },
  ],
};
