/**
 * The redaction step of the Export path (src/receive/export-handler.ts), between admission and decoding: what the
 * handler knows of it. src/redaction/ implements it; off, the handler gets NO_REDACTION.
 */
import { ok, type Outcome } from '../model/outcome.js';
import type { TenantAuth } from './auth.js';

/** Redacts one signal's Export request bodies. */
export interface RequestRedactor {
  /** The body to decode and log: the same bytes when nothing matched; a failed Outcome for unreadable bytes. */
  redact(body: Uint8Array, format: 'protobuf' | 'json', principal: TenantAuth): Outcome<Uint8Array>;
}

/** Redaction off: the body as received, at no cost. */
export const NO_REDACTION: RequestRedactor = { redact: (body) => ok(body) };
