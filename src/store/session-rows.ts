/**
 * The fan-out of one session write into table rows (one job of the store): the session row always; spans and the
 * lookup rows when the write stores spans; the two rollups when the write counts usage (their rows are folded by the
 * rollup itself, so the write is handed over whole: `rows` null).
 */
import type { SessionWrite } from '../model/session.js';
import { buildSessionTsRow, buildTraceTsRows } from './lookup-rows.js';
import { ProviderRollup } from './provider-rollup.js';
import { buildSessionRow } from './session-row.js';
import { buildSpanRow } from './span-row.js';
import type { StoreTable } from './tables.js';
import { UsageRollup } from './usage-rollup.js';

/** One table's part of a session write: its rows, or null for a rollup table. */
export interface TableRows {
  table: StoreTable;
  rows: Record<string, unknown>[] | null;
}

/**
 * The rows a session write puts in each table, in the order they are queued. A `detail` part (a kept session's span
 * rows read back from the log) has no session row of its own: the first part of the same version wrote that row,
 * and it does not depend on the spans being stored.
 */
export function sessionTableRows(w: SessionWrite): TableRows[] {
  const { tenantId, sessionId } = w.summary;
  const out: TableRows[] = w.part === 'detail' ? [] : [{ table: 'sessions', rows: [buildSessionRow(w)] }];
  if (w.storeSpans && w.spans.length > 0) {
    out.push({ table: 'spans', rows: w.spans.map((span) => buildSpanRow(span, sessionId, w.decision)) });
    const sessionTs = buildSessionTsRow(tenantId, sessionId, w.spans);
    if (sessionTs !== null) out.push({ table: 'session_ts', rows: [sessionTs] });
    out.push({ table: 'trace_ts', rows: buildTraceTsRows(tenantId, w.spans) });
  }
  if (UsageRollup.counts(w)) out.push({ table: 'usage_hourly', rows: null });
  if (ProviderRollup.counts(w)) out.push({ table: 'provider_minutely', rows: null });
  return out;
}
