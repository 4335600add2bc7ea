/** Which tenants a reader may see: admin and open mode see all; a tenant key sees only its own. */
import type { FastifyRequest } from 'fastify';
import { AgtError } from '../errors.js';
import { failed, ok, type Outcome } from '../outcome.js';
import type { Authenticator } from '../receive/auth.js';

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

/** ISO-8601 or epoch milliseconds → epoch ms; null when unparseable. */
export function parseTime(v: string): number | null {
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}
