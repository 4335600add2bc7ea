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
import { attrsToMap } from './cell-format.js';
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
    out.push({ table: 'spans', rows: spanRows(w) });
    const sessionTs = buildSessionTsRow(tenantId, sessionId, w.spans);
    if (sessionTs !== null) out.push({ table: 'session_ts', rows: [sessionTs] });
    out.push({ table: 'trace_ts', rows: buildTraceTsRows(tenantId, w.spans) });
  }
  if (UsageRollup.counts(w)) out.push({ table: 'usage_hourly', rows: null });
  if (ProviderRollup.counts(w)) out.push({ table: 'provider_minutely', rows: null });
  return out;
}

/** The write's span rows; spans of one resource (one object, as decoded) share its attributes cell. */
function spanRows(w: SessionWrite): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  let attrs: object | null = null;
  let cell: Record<string, string> = {};
  for (const span of w.spans) {
    if (span.resourceAttributes !== attrs) {
      attrs = span.resourceAttributes;
      cell = attrsToMap(span.resourceAttributes);
    }
    rows.push(buildSpanRow(span, w.summary.sessionId, w.decision, cell));
  }
  return rows;
}
