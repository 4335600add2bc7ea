/** The group a log record waits in, is written under and is remembered in: its trace, else its session alias, else none. */
import type { LogEntry } from './types.js';

/** The record's trace id, or null when it carries none. */
export function traceOf(e: LogEntry): string | null {
  return e.record.traceId === '' ? null : e.record.traceId;
}

/** The group key of an entry: tenant + trace, else tenant + session alias, else the tenant's untraced records. */
export function groupOf(e: LogEntry): string {
  const traceId = traceOf(e);
  if (traceId !== null) return `${e.tenantId}\u0000t\u0000${traceId}`;
  if (e.sessionId !== null) return `${e.tenantId}\u0000s\u0000${e.sessionId}`;
  return `${e.tenantId}\u0000-`;
}
