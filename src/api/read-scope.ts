/** Which tenants a reader may see: admin and open mode see all; a tenant key sees only its own. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AgtError } from '../model/errors.js';
import { failed, ok, type Outcome } from '../model/outcome.js';
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

/**
 * Parses a route's query with its strict zod object schema; failure → AGT_ERR_BAD_QUERY naming the first bad
 * parameter: an unknown name lists the parameters the route takes, a bad enum value lists the valid values.
 */
export function parseQuery<T extends z.ZodObject>(schema: T, query: unknown): Outcome<z.output<T>> {
  const q = schema.safeParse(query);
  if (q.success) return ok(q.data as z.output<T>);
  return failed(new AgtError('AGT_ERR_BAD_QUERY', describeQueryIssue(q.error.issues[0]!, Object.keys(schema.shape), query)));
}

/** One issue as "<parameter>: <what is wrong and what is allowed>". */
function describeQueryIssue(i: z.core.$ZodIssue, parameters: readonly string[], query: unknown): string {
  if (i.code === 'unrecognized_keys') {
    const names = i.keys.map((k) => JSON.stringify(k)).join(', ');
    return `${i.keys.join(', ')}: unknown parameter${i.keys.length > 1 ? 's' : ''} ${names}; this route takes ${parameters.join(', ')}`;
  }
  const name = i.path.join('.') || 'query';
  if (i.code === 'invalid_value') {
    const given = typeof query === 'object' && query !== null ? (query as Record<string, unknown>)[String(i.path[0])] : undefined;
    return `${name}: ${JSON.stringify(given)} is not one of ${i.values.map(String).join(', ')}`;
  }
  return `${name}: ${i.message}`;
}
