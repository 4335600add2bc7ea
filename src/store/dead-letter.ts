/** Rows of the `dead_letter` table (schema/007_dead_letter.sql): what ClickHouse refused, with the error, for a later re-insert. */
import { createHash } from 'node:crypto';
import { errorCode } from './retry-policy.js';
import { objectLine } from './row-format.js';

/** The table parked rows go to. */
export const DEAD_LETTER_TABLE = 'dead_letter';

/** Longest error text kept per parked row (ClickHouse repeats the failing row in its messages). */
const MAX_ERROR_CHARS = 2000;

/** A row ClickHouse refused, with the error of the smallest insert that still held it. */
export interface ParkedRow {
  /** The line as it was sent (newline included): JSONEachRow, or JSONCompactEachRow for a compact table (row-format.ts). */
  line: string;
  err: unknown;
}

/** The JSONEachRow body of the dead-letter rows for one batch's parked rows. */
export function deadLetterBody(table: string, batchId: string, parked: readonly ParkedRow[], nowMs: number): Buffer {
  let text = '';
  for (const p of parked) {
    const message = p.err instanceof Error ? p.err.message : String(p.err);
    text +=
      JSON.stringify({
        ParkedAt: String(Math.round(nowMs)),
        TargetTable: table,
        BatchId: batchId,
        ErrorCode: errorCode(p.err) ?? '',
        Error: message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message,
        // As a JSONEachRow object whatever the batch's format, so it can be re-inserted as docs/storage.md says.
        Row: objectLine(table, p.line.endsWith('\n') ? p.line.slice(0, -1) : p.line),
      }) + '\n';
  }
  return Buffer.from(text, 'utf8');
}

/** The dedup token of a derived insert (a part of a batch, or its dead letters): stable for the same batch and rows. */
export function derivedToken(batchId: string, what: string, body: Buffer): string {
  return createHash('sha256').update(batchId).update('\n').update(what).update('\n').update(body).digest('hex').slice(0, 32);
}
