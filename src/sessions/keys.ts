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
  // The last lookup: consecutive spans of a request mostly share a trace, and a string compare is cheaper than
  // hashing a fresh id string into a large map. Every set and delete of that pair updates it.
  private lastTenant: string | null = null;
  private lastId: string | null = null;
  private lastValue: V | undefined = undefined;

  get(tenantId: string, id: string): V | undefined {
    if (id === this.lastId && tenantId === this.lastTenant) return this.lastValue;
    const v = this.byTenant.get(tenantId)?.get(id);
    this.remember(tenantId, id, v);
    return v;
  }

  set(tenantId: string, id: string, value: V): void {
    let m = this.byTenant.get(tenantId);
    if (m === undefined) this.byTenant.set(tenantId, (m = new Map()));
    m.set(id, value);
    this.remember(tenantId, id, value);
  }

  /** Removes the entry when it holds `value` (not one set since by someone else). */
  deleteIf(tenantId: string, id: string, value: V): void {
    const m = this.byTenant.get(tenantId);
    if (m === undefined || m.get(id) !== value) return;
    m.delete(id);
    if (m.size === 0) this.byTenant.delete(tenantId);
    if (id === this.lastId && tenantId === this.lastTenant) this.lastValue = undefined;
  }

  private remember(tenantId: string, id: string, value: V | undefined): void {
    this.lastTenant = tenantId;
    this.lastId = id;
    this.lastValue = value;
  }
}
