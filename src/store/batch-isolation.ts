/**
 * Defence in depth for a batch ClickHouse refuses with a non-retryable error (a value no column can hold got past the
 * checks at normalization): the batch is split in halves, recursively, so the rows not at fault are inserted and only
 * the refused rows are parked in `dead_letter` (dead-letter.ts), never the whole batch dropped.
 *
 * Idempotence: every part is inserted under a token derived from the batch's token and the part's rows
 * (derivedToken), and the split is a pure function of the batch's rows. A retry or a replay of the same batch (the
 * log re-sends it under its token after a crash) fails the same way, splits the same way, and ClickHouse drops the
 * parts (and the dead letters) it already has.
 */
import type { InsertResult } from './batch-inserter.js';
import { DEAD_LETTER_TABLE, deadLetterBody, derivedToken, type ParkedRow } from './dead-letter.js';

/**
 * Most part inserts per refused batch. One bad row among 10,000 takes 2 × 14 = 28; past the budget the parts still
 * refused are parked whole (bounded work when every row fails, e.g. a table that does not exist).
 */
export const MAX_ISOLATION_INSERTS = 64;

/** What became of a refused batch's rows. */
export interface IsolationResult {
  insertedRows: number;
  parked: ParkedRow[];
  /** Rows neither inserted nor parked (an insert gave up on retryable errors, or the store is shutting down). */
  droppedRows: number;
  /** The dead letters could not be written: their rows count in droppedRows. */
  deadLetterError: unknown;
  /** Shutdown came first: the batch is neither written nor given up, the log re-sends it on the next start. */
  abandoned: boolean;
}

/** Splits `body` (one row per line: row-format.ts) until every row is inserted or parked, then writes the parked rows to dead_letter. */
export async function isolateRefusedRows(p: {
  table: string;
  batchId: string;
  body: Buffer;
  /** The error that refused the whole batch. */
  err: unknown;
  insert: (table: string, body: Buffer, token: string) => Promise<InsertResult>;
  nowMs: number;
  maxInserts?: number;
}): Promise<IsolationResult> {
  const lines = splitLines(p.body);
  const out: IsolationResult = { insertedRows: 0, parked: [], droppedRows: 0, deadLetterError: null, abandoned: false };
  const budget = p.maxInserts ?? MAX_ISOLATION_INSERTS;
  let inserts = 0;
  // Depth first, left part first: the order of parked rows follows the batch.
  const stack: { lines: string[]; err: unknown }[] = [{ lines, err: p.err }];
  while (stack.length > 0) {
    const part = stack.pop()!;
    if (part.lines.length === 1 || inserts >= budget) {
      for (const line of part.lines) out.parked.push({ line, err: part.err });
      continue;
    }
    const mid = part.lines.length >>> 1;
    const refused: { lines: string[]; err: unknown }[] = [];
    for (const half of [part.lines.slice(0, mid), part.lines.slice(mid)]) {
      inserts++;
      const body = Buffer.from(half.join(''), 'utf8');
      const r = await p.insert(p.table, body, derivedToken(p.batchId, 'part', body));
      if (r.status === 'ok') out.insertedRows += half.length;
      else if (r.status === 'refused') refused.push({ lines: half, err: r.err });
      else {
        out.droppedRows += half.length;
        if (r.status === 'abandoned') out.abandoned = true;
      }
    }
    for (let i = refused.length - 1; i >= 0; i--) stack.push(refused[i]!);
  }
  if (out.parked.length > 0 && !out.abandoned) {
    const body = deadLetterBody(p.table, p.batchId, out.parked, p.nowMs);
    // The token covers the rows, not ParkedAt: a replay's dead letters are dropped as duplicates.
    const rowsOnly = Buffer.from(out.parked.map((x) => x.line).join(''), 'utf8');
    const r = await p.insert(DEAD_LETTER_TABLE, body, derivedToken(p.batchId, DEAD_LETTER_TABLE, rowsOnly));
    if (r.status !== 'ok') {
      out.deadLetterError = r.status === 'abandoned' ? new Error('store closed') : r.err;
      out.droppedRows += out.parked.length;
      if (r.status === 'abandoned') out.abandoned = true;
    }
  }
  return out;
}

/** The rows of a body, each with its newline (JSON strings escape newlines, so '\n' ends a row). */
function splitLines(body: Buffer): string[] {
  const text = body.toString('utf8');
  const out: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start) + '\n');
  return out;
}
