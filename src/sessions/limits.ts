/** Per-session completion limits, with per-tenant overrides (`sessions.tenants.<id>`). */
import type { SessionsConfig } from '../config/sessions.js';

/** The limits one session is decided by. */
export interface SessionLimits {
  idleTimeoutMs: number;
  maxSessionAgeMs: number;
  maxSpansPerSession: number;
  maxBytesPerSession: number;
}

/** The limits of a tenant: its overrides over the global values. */
export function limitsFor(config: SessionsConfig, tenantId: string): SessionLimits {
  const o = config.tenants[tenantId] ?? {};
  return {
    idleTimeoutMs: o.idleTimeoutMs ?? config.idleTimeoutMs,
    maxSessionAgeMs: o.maxSessionAgeMs ?? config.maxSessionAgeMs,
    maxSpansPerSession: o.maxSpansPerSession ?? config.maxSpansPerSession,
    maxBytesPerSession: o.maxBytesPerSession ?? config.maxBytesPerSession,
  };
}
