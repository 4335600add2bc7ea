/** Each resource's tenant: the principal's, or a resource `tenant.id` where the key may name one. Shared by every signal. */
import type { Outcome } from '../model/outcome.js';
import type { OtlpResource } from '../model/otlp-values.js';
import type { Authenticator, TenantAuth } from './auth.js';

/** A resolver for one request: items of one resource share its object, so each resource is resolved once. */
export function resourceTenants(auth: Authenticator, principal: TenantAuth): (resource: OtlpResource) => Outcome<string> {
  const known = new Map<object, Outcome<string>>();
  return (resource) => {
    let t = known.get(resource);
    if (t === undefined) {
      const claimed = resource.attributes['tenant.id'];
      t = auth.tenantForResource(principal, typeof claimed === 'string' ? claimed : null);
      known.set(resource, t);
    }
    return t;
  };
}
