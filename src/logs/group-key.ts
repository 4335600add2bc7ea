/** The group a log record waits in and is written under: its trace, else its session alias, else none. */
export function groupKey(tenantId: string, traceId: string | null, sessionId: string | null): string {
  if (traceId !== null) return `${tenantId}\u0000t\u0000${traceId}`;
  if (sessionId !== null) return `${tenantId}\u0000s\u0000${sessionId}`;
  return `${tenantId}\u0000-`;
}
