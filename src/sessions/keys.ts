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
