/** POST /api/v1/reprice: re-prices a period's rollups with the running collector's catalog (admin keys only). */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AgtError, isAgtError } from '../model/errors.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Authenticator } from '../receive/auth.js';
import { repriceUsage, type RepriceResult } from '../store/reprice.js';
import { parseQuery, readScope, timeParam } from './read-scope.js';
import { sendError } from './send-error.js';
import { periodError } from './strict-time.js';

/** A time in the body: ISO-8601 or epoch ms, as a string or a number. */
const bodyTime = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), timeParam);

const body = z
  .object({
    from: bodyTime,
    to: bodyTime,
    tenant: z.string().min(1).optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();

/** Dependencies of the reprice route. */
export interface RepriceRoutesParams {
  client: ClickHouseClient;
  database: string;
  auth: Authenticator;
  /** The collector's pricer: the catalog and overrides ingest prices with. */
  pricer: Pricer;
}

export function repriceRoutes(params: RepriceRoutesParams): FastifyPluginAsync {
  // Runs one at a time: two runs over the same period would both correct from the same snapshot.
  let previous: Promise<unknown> = Promise.resolve();
  const serialised = (run: () => Promise<RepriceResult>): Promise<RepriceResult> => {
    const next = previous.then(run, run);
    previous = next.catch(() => undefined);
    return next;
  };
  return async (app) => {
    app.post('/api/v1/reprice', async (req, reply) => {
      const b = parseQuery(body, req.body ?? {});
      if (b.status !== 'ok') return sendError(reply, b.error);
      const scope = readScope(params.auth, req, b.value.tenant);
      if (scope.status !== 'ok') return sendError(reply, scope.error);
      if (scope.value.mode === 'tenant') return sendError(reply, new AgtError('AGT_ERR_TENANT_FORBIDDEN', 're-pricing needs an admin key'));
      const { from: fromMs, to: toMs, dryRun } = b.value;
      const empty = periodError({ from: 'from', to: 'to' }, fromMs, toMs);
      if (empty !== null) return sendError(reply, empty);
      try {
        const result = await serialised(() =>
          repriceUsage({ client: params.client, database: params.database, pricer: params.pricer, request: { fromMs, toMs, tenant: scope.value.tenant, dryRun } }),
        );
        reply.header('x-agenttail-mode', scope.value.mode);
        return { mode: scope.value.mode, ...result };
      } catch (err) {
        if (isAgtError(err)) return sendError(reply, err);
        throw err;
      }
    });
  };
}
