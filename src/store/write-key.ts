/**
 * The contract between the store and the durability stage (the write-ahead log): every write carries a key
 * that names it across restarts, every batch is logged with its dedup token and keys before it is inserted,
 * and on recovery a replay plan says which writes already reached ClickHouse and which batches must be
 * re-sent exactly as they were (same keys, same token), so a replay can never count a write twice.
 */
import type { SessionWrite } from '../model/session.js';

/** The key of a session write: tenant, session, the LSN of its first decision, version, and the part. */
export function sessionWriteKey(w: SessionWrite): string {
  const s = w.summary;
  return `s\u0000${s.tenantId}\u0000${s.sessionId}\u0000${w.firstDecisionLsn ?? 0}\u0000${w.version}${w.part === undefined ? '' : `\u0000${w.part}`}`;
}
