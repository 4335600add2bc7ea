/** Which tenants a reader may see: admin and open mode see all; a tenant key sees only its own. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AgtError } from '../errors.js';
import { failed, ok, type Outcome } from '../outcome.js';
import type { Authenticator } from '../receive/auth.js';
import { ACCEPTED_TIME_FORMS, parseStrictTime } from './strict-time.js';

export interface ReadScope {
  /** null = every tenant. */
  tenant: string | null;
  mode: 'open' | 'admin' | 'tenant';
}

export function readScope(auth: Authenticator, req: FastifyRequest, requestedTenant: string | undefined): Outcome<ReadScope> {
  const h = req.headers;
  const who = auth.authenticate({
    authorization: typeof h.authorization === 'string' ? h.authorization : undefined,
    apiKey: typeof h['x-api-key'] === 'string' ? h['x-api-key'] : undefined,
  });
  if (who.status !== 'ok') return who;
  const a = who.value;
  if (a.open) return ok({ tenant: requestedTenant ?? null, mode: 'open' });
  if (a.admin) return ok({ tenant: requestedTenant ?? null, mode: 'admin' });
  if (requestedTenant !== undefined && requestedTenant !== a.tenantId) {
    return failed(new AgtError('AGT_ERR_TENANT_FORBIDDEN', `key ${a.keyId} may read only tenant "${a.tenantId}", not "${requestedTenant}"`));
  }
  return ok({ tenant: a.tenantId, mode: 'tenant' });
}

/** A query parameter holding a time (strict-time.ts: ISO-8601 or 13-digit epoch ms), parsed to epoch ms; a bad value names the accepted forms. */
export const timeParam = z.string({ error: `required: ${ACCEPTED_TIME_FORMS}` }).transform((v, ctx) => {
  const t = parseStrictTime(v);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a time: use ${ACCEPTED_TIME_FORMS}` });
    return z.NEVER;
  }
  return t;
});

/** Parses a route's query with its zod schema; failure → AGT_ERR_BAD_QUERY naming the first bad parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): Outcome<z.output<T>> {
  const q = schema.safeParse(query);
  if (q.success) return ok(q.data as z.output<T>);
  const i = q.error.issues[0]!;
  return failed(new AgtError('AGT_ERR_BAD_QUERY', `${i.path.join('.') || 'query'}: ${i.message}`));
}
