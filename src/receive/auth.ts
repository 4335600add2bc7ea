/** API keys → tenants. Keys are configured as sha256 hashes; comparison is constant-time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ReceiveConfig } from '../config/receive.js';
import { AgtError } from '../model/errors.js';
import type { Logger } from '../log.js';
import { failed, ok, type Outcome } from '../model/outcome.js';

/** sha256 hex of an API key, as stored in `receive.keys[].sha256`. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface TenantAuth {
  tenantId: string;
  trustedGateway: boolean;
  admin: boolean;
  open: boolean;
  /** First 8 hex chars of the key hash, for logs. */
  keyId: string;
}

export interface Credentials {
  authorization?: string;
  apiKey?: string;
}

export const OPEN_TENANT = 'default';

export class Authenticator {
  readonly open: boolean;
  private readonly byHash: Map<string, ReceiveConfig['keys'][number]>;

  constructor(params: { keys: ReceiveConfig['keys']; log: Logger }) {
    this.open = params.keys.length === 0;
    this.byHash = new Map(params.keys.map((k) => [k.sha256, k]));
  }

  /** Resolves the caller from `authorization: Bearer <key>` or `x-api-key: <key>`. */
  authenticate(credentials: Credentials): Outcome<TenantAuth> {
    if (this.open) return ok({ tenantId: OPEN_TENANT, trustedGateway: true, admin: true, open: true, keyId: 'open' });
    const key = extractKey(credentials);
    if (key === null) return failed(new AgtError('AGT_ERR_UNAUTHENTICATED', 'no API key: send "authorization: Bearer <key>" or "x-api-key: <key>"'));
    const hash = hashApiKey(key);
    const entry = this.byHash.get(hash);
    // Map lookup by hash already avoids comparing secrets; the explicit compare keeps the intent visible.
    if (!entry || !timingSafeEqual(Buffer.from(entry.sha256, 'hex'), Buffer.from(hash, 'hex'))) {
      return failed(new AgtError('AGT_ERR_UNAUTHENTICATED', 'unknown API key'));
    }
    return ok({ tenantId: entry.tenant, trustedGateway: entry.trustedGateway, admin: entry.admin, open: false, keyId: hash.slice(0, 8) });
  }

  /** Whether the caller may name the tenant per resource (`tenant.id`): a trusted gateway key, or open mode. */
  mayClaimTenant(auth: Pick<TenantAuth, 'open' | 'trustedGateway'>): boolean {
    return auth.open || auth.trustedGateway;
  }

  /** The tenant for the spans of one resource (its `tenant.id` attribute, when the key may set it). */
  tenantForResource(auth: TenantAuth, resourceTenant: string | null): Outcome<string> {
    if (resourceTenant === null || resourceTenant === '') return ok(auth.tenantId);
    if (this.mayClaimTenant(auth)) return ok(resourceTenant);
    if (resourceTenant === auth.tenantId) return ok(resourceTenant);
    return failed(
      new AgtError('AGT_ERR_TENANT_FORBIDDEN', `key ${auth.keyId} belongs to tenant "${auth.tenantId}" and may not write tenant.id "${resourceTenant}" (only trusted gateway keys may)`),
    );
  }
}

function extractKey(c: Credentials): string | null {
  if (c.authorization) {
    const m = /^Bearer\s+(.+)$/i.exec(c.authorization.trim());
    if (m) return m[1]!.trim();
  }
  if (c.apiKey && c.apiKey.trim() !== '') return c.apiKey.trim();
  return null;
}
