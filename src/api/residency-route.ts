/** GET /api/v1/residency — where each tenant's calls ran against its residency policy; JSON or CSV, tenant-scoped. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ResidencyConfig } from '../config/residency.js';
import type { Authenticator } from '../receive/auth.js';
import { ResidencyRules } from '../sampling/basis/residency-check.js';
import { toCsv } from '../store/read/csv.js';
import { parseQuery, readScope, timeParam } from './read-scope.js';
import { queryResidency, RESIDENCY_COLUMNS } from '../store/read/residency.js';
import { sendError } from './send-error.js';
import { periodError } from './strict-time.js';

const query = z
  .object({
    from: timeParam,
    to: timeParam,
    format: z.enum(['json', 'csv']).default('json'),
    tenant: z.string().min(1).optional(),
  })
  .strict();

/** The residency report route; `residency` is the policy the rows are judged by. */
export function residencyRoutes(params: { client: ClickHouseClient; database: string; auth: Authenticator; residency: ResidencyConfig }): FastifyPluginAsync {
  const rules = new ResidencyRules(params.residency);
  return async (app) => {
    app.get('/api/v1/residency', async (req, reply) => {
      const q = parseQuery(query, req.query);
      if (q.status !== 'ok') return sendError(reply, q.error);
      const { from: fromMs, to: toMs } = q.value;
      const empty = periodError({ from: 'from', to: 'to' }, fromMs, toMs);
      if (empty !== null) return sendError(reply, empty);
      const scope = readScope(params.auth, req, q.value.tenant);
      if (scope.status !== 'ok') return sendError(reply, scope.error);
      const report = await queryResidency(params.client, params.database, rules, { fromMs, toMs, tenant: scope.value.tenant });
      reply.header('x-agenttail-mode', scope.value.mode);
      if (q.value.format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').send(toCsv(report.rows as unknown as Record<string, unknown>[], [...RESIDENCY_COLUMNS]));
      return {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        mode: scope.value.mode,
        tenantScope: scope.value.tenant ?? 'all',
        note: 'exact rollups of every model call, kept and dropped sessions alike, judged by the current residency policy',
        ...report,
      };
    });
  };
}
