/** Keys of the buffer's maps: tenant + id pairs, so equal ids of two tenants never mix. */

// NUL cannot appear in a tenant id from a header or key config, so the pair is unambiguous.
/** The map key of a session (or trace) id within a tenant. */
export function tenantKey(tenantId: string, id: string): string {
  return `${tenantId}\u0000${id}`;
}

/** The identity of one span within a session, used to count client retries once. */
export function spanKey(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

/**
 * A map keyed by tenant, then id: the lookups a span makes (its trace) use the id string the span already holds,
 * with no pair key to build, flatten and hash per span. For maps whose iteration order does not matter.
 */
export class TenantIndex<V> {
  private readonly byTenant = new Map<string, Map<string, V>>();

  get(tenantId: string, id: string): V | undefined {
    return this.byTenant.get(tenantId)?.get(id);
  }

  set(tenantId: string, id: string, value: V): void {
    let m = this.byTenant.get(tenantId);
    if (m === undefined) this.byTenant.set(tenantId, (m = new Map()));
    m.set(id, value);
  }

  /** Removes the entry when it holds `value` (not one set since by someone else). */
  deleteIf(tenantId: string, id: string, value: V): void {
    const m = this.byTenant.get(tenantId);
    if (m === undefined || m.get(id) !== value) return;
    m.delete(id);
    if (m.size === 0) this.byTenant.delete(tenantId);
  }
}
