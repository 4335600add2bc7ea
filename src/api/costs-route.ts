/** Finance: GET /api/v1/costs — exact per-tenant cost rollups (dropped sessions included), JSON or CSV. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AgtError } from '../model/errors.js';
import type { Authenticator } from '../receive/auth.js';
import { costColumns, GROUP_COLUMNS, queryCosts, sessionsMeaning, usageIncompleteSummary } from '../store/read/costs.js';
import { toCsv } from '../store/read/csv.js';
import { isoUtc, monthSoFarUtc } from './read-time.js';
import { parseQuery, readScope, timeParam } from './read-scope.js';
import { sendError } from './send-error.js';
import { periodError } from './strict-time.js';

const query = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  groupBy: z.string().default('tenant'),
  format: z.enum(['json', 'csv']).default('json'),
  tenant: z.string().min(1).optional(),
}).strict();

/** The period of a request: the given bounds, else this month so far in UTC. */
export function costPeriod(fromMs: number | undefined, toMs: number | undefined, nowMs: number): { fromMs: number; toMs: number } {
  const d = monthSoFarUtc(nowMs);
  return { fromMs: fromMs ?? d.fromMs, toMs: toMs ?? d.toMs };
}

export function costsRoutes(params: { client: ClickHouseClient; database: string; auth: Authenticator }): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/v1/costs', async (req, reply) => {
      const q = parseQuery(query, req.query);
      if (q.status !== 'ok') return sendError(reply, q.error);
      const { fromMs, toMs } = costPeriod(q.value.from, q.value.to, Date.now());
      const defaults = q.value.from === undefined || q.value.to === undefined ? ' (the default period is this month so far, UTC)' : '';
      const empty = periodError({ from: 'from', to: 'to' }, fromMs, toMs, defaults);
      if (empty !== null) return sendError(reply, empty);
      const groupBy = q.value.groupBy.split(',').map((g) => g.trim()).filter((g) => g !== '');
      const bad = groupBy.find((g) => !(g in GROUP_COLUMNS));
      if (bad !== undefined) return sendError(reply, new AgtError('AGT_ERR_BAD_QUERY', `groupBy: ${JSON.stringify(bad)} is not one of ${Object.keys(GROUP_COLUMNS).join(', ')}`));
      const scope = readScope(params.auth, req, q.value.tenant);
      if (scope.status !== 'ok') return sendError(reply, scope.error);
      const rows = await queryCosts(params.client, params.database, { fromMs, toMs, groupBy, tenant: scope.value.tenant });
      reply.header('x-agenttail-mode', scope.value.mode);
      if (q.value.format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').send(toCsv(rows, costColumns(groupBy)));
      return {
        from: isoUtc(fromMs),
        to: isoUtc(toMs),
        groupBy,
        mode: scope.value.mode,
        tenantScope: scope.value.tenant ?? 'all',
        note: 'exact rollups of every model call, kept and dropped sessions alike',
        sessionsMeaning: sessionsMeaning(groupBy),
        usageIncomplete: usageIncompleteSummary(rows),
        rows,
      };
    });
  };
}
