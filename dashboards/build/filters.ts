/**
 * SQL fragments shared by the dashboards: the tenant/service/agent/model filters per table, each wrapped in
 * `$__conditionalAll` so All (or nothing selected) costs no filter at all.
 */
import type { VariableSpec } from './grafana.js';

/** The database agenttail writes to (store.database; docker-compose.yml keeps the default). */
export const DB = 'agenttail';

/** `col IN (selected)` unless All. */
export function inFilter(variable: string, column: string): string {
  return `$__conditionalAll(${column} IN (\${${variable}:singlequote}), $${variable})`;
}

/** `hasAny(arrayCol, [selected])` unless All (sessions hold arrays of services, agents, models). */
export function hasAnyFilter(variable: string, column: string): string {
  return `$__conditionalAll(hasAny(${column}, [\${${variable}:singlequote}]), $${variable})`;
}

/** usage_hourly rows of the range (whole hours: the row of the hour the range starts in counts) and the filters. */
export const USAGE_WHERE = [
  'Hour >= toStartOfHour($__fromTime) AND Hour <= $__toTime',
  inFilter('tenant', 'TenantId'),
  inFilter('service', 'ServiceName'),
  inFilter('agent', 'AgentName'),
  inFilter('model', 'Model'),
].join('\n  AND ');

/** provider_minutely rows of the range with the filters it can take (it has no service or agent). */
export const PROVIDER_WHERE = ['$__timeFilter(Minute)', inFilter('tenant', 'TenantId'), inFilter('model', 'Model')].join('\n  AND ');

/** sessions rows (read with FINAL) that started in the range, with the filters. */
export const SESSIONS_WHERE = [
  '$__timeFilter(StartTime)',
  inFilter('tenant', 'TenantId'),
  hasAnyFilter('service', 'ServiceNames'),
  hasAnyFilter('agent', 'AgentNames'),
  hasAnyFilter('model', 'Models'),
].join('\n  AND ');

/**
 * spans rows of the range with the filters. A tool span names no model, so the model filter goes through the
 * session: spans of sessions that used one of the models.
 */
export const SPANS_WHERE = [
  '$__timeFilter(Timestamp)',
  inFilter('tenant', 'TenantId'),
  inFilter('service', 'ServiceName'),
  inFilter('agent', 'GenAiAgent'),
  `$__conditionalAll((TenantId, SessionId) IN (SELECT TenantId, SessionId FROM ${DB}.sessions FINAL WHERE hasAny(Models, [\${model:singlequote}])), $model)`,
].join('\n  AND ');

/** The four filter variables every dashboard declares (values from the exact rollup of the range). */
export function filterVariables(): VariableSpec[] {
  const range = 'Hour >= toStartOfHour($__fromTime) AND Hour <= $__toTime';
  return [
    {
      kind: 'query',
      name: 'tenant',
      label: 'Tenant',
      description: 'Tenants with usage in the time range',
      sql: `SELECT DISTINCT TenantId FROM ${DB}.usage_hourly WHERE ${range} ORDER BY TenantId`,
      multi: true,
      includeAll: true,
    },
    {
      kind: 'query',
      name: 'service',
      label: 'Service',
      description: 'service.name of the selected tenants',
      sql: `SELECT DISTINCT ServiceName FROM ${DB}.usage_hourly WHERE ${range} AND ${inFilter('tenant', 'TenantId')} ORDER BY ServiceName`,
      multi: true,
      includeAll: true,
    },
    {
      kind: 'query',
      name: 'agent',
      label: 'Agent',
      description: 'gen_ai.agent.name of the selected tenants and services',
      sql: `SELECT DISTINCT AgentName FROM ${DB}.usage_hourly WHERE ${range} AND ${inFilter('tenant', 'TenantId')} AND ${inFilter('service', 'ServiceName')} ORDER BY AgentName`,
      multi: true,
      includeAll: true,
    },
    {
      kind: 'query',
      name: 'model',
      label: 'Model',
      description: 'Models called by the selected tenants, services and agents',
      sql: `SELECT DISTINCT Model FROM ${DB}.usage_hourly WHERE ${range} AND ${inFilter('tenant', 'TenantId')} AND ${inFilter('service', 'ServiceName')} AND ${inFilter('agent', 'AgentName')} ORDER BY Model`,
      multi: true,
      includeAll: true,
    },
  ];
}
