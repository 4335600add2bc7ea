/**
 * The store's side of recovery (docs/durability.md): while the log is replayed, each rebuilt write is either skipped
 * (its batch was confirmed in ClickHouse before the crash), collected into the logged batch it belonged to (re-sent
 * whole, under that batch's token, once all its writes are back), or queued as usual. Live, the store holds the
 * `LIVE_WRITES` router (STYLE.md 17: a null object, no replay branch on the write path).
 */
import type { ReplayIntent, ReplayPlan } from '../durability/replay.js';
import type { SessionWrite } from '../model/session.js';
import { rowLine } from './row-format.js';
import { newRollup } from './rollups.js';
import type { StoreTable } from './tables.js';

/** A logged batch, rebuilt: its table, token and keys, and its body once every write found is back. */
export interface RebuiltBatch {
  table: StoreTable;
  batchId: string;
  keys: string[];
  body: Buffer;
  rows: number;
}

/** Where a write goes: skipped (confirmed before a crash), collected into a rebuilt batch, or queued as usual. */
export type Claim = 'skip' | 'collect' | 'queue';

/** Routes writes by what the log says of them. */
export interface WriteRouter {
  claim(table: StoreTable, key: string): Claim;
  /** Takes a write claimed 'collect' (the store holds its key first). */
  collect(table: StoreTable, key: string, rows: Record<string, unknown>[] | null, w: SessionWrite | null): void;
}

/** Live: every write is queued. */
export const LIVE_WRITES: WriteRouter = { claim: () => 'queue', collect: () => undefined };

/** A logged-but-unconfirmed batch being rebuilt during recovery. */
interface Rebuild extends ReplayIntent {
  lines: Map<string, string[]>;
  writes: Map<string, SessionWrite>;
  /** Queued once all its writes were rebuilt (the maps are emptied then, so their sizes no longer tell). */
  queued: boolean;
}

/** The replay plan applied to the writes rebuilt by recovery; complete batches are handed to `queue`. */
export class ReplayRebuild implements WriteRouter {
  private readonly confirmed: Map<string, Set<string>>;
  private readonly byKey = new Map<string, Map<string, Rebuild>>();
  private readonly rebuilds: Rebuild[] = [];

  constructor(plan: ReplayPlan, private readonly queue: (batch: RebuiltBatch) => void) {
    this.confirmed = plan.confirmed;
    for (const intent of plan.intents) {
      const r: Rebuild = { ...intent, lines: new Map(), writes: new Map(), queued: false };
      this.rebuilds.push(r);
      let m = this.byKey.get(intent.table);
      if (m === undefined) this.byKey.set(intent.table, (m = new Map()));
      for (const k of intent.keys) m.set(k, r);
    }
  }

  claim(table: StoreTable, key: string): Claim {
    if (this.confirmed.get(table)?.has(key) === true) return 'skip';
    return this.byKey.get(table)?.has(key) === true ? 'collect' : 'queue';
  }

  collect(table: StoreTable, key: string, rows: Record<string, unknown>[] | null, w: SessionWrite | null): void {
    const rb = this.byKey.get(table)?.get(key);
    if (rb === undefined) return;
    if (rows === null) rb.writes.set(key, w!);
    else rb.lines.set(key, rows.map((r) => rowLine(table, r) + '\n'));
    if (rb.lines.size + rb.writes.size === rb.keys.length) this.send(rb);
  }

  /** Ends recovery: batches whose writes were not all rebuilt are re-sent with what was found. */
  finish(): { resent: number; incomplete: number; missingWrites: number; sample: string[] } {
    let incomplete = 0;
    let missingWrites = 0;
    let resent = 0;
    const sample: string[] = [];
    for (const rb of this.rebuilds) {
      if (rb.queued) {
        resent++;
        continue;
      }
      const have = rb.lines.size + rb.writes.size;
      incomplete++;
      missingWrites += rb.keys.length - have;
      for (const k of rb.keys) if (sample.length < 5 && !rb.lines.has(k) && !rb.writes.has(k)) sample.push(`${rb.table} ${k.replaceAll('\u0000', '/')}`);
      if (have > 0) this.send(rb);
    }
    return { resent: resent + incomplete, incomplete, missingWrites, sample };
  }

  /** A rebuilt batch: the writes in the order they were logged, the logged token. */
  private send(rb: Rebuild): void {
    const table = rb.table as StoreTable;
    let text = '';
    let rows = 0;
    const keys = rb.keys.filter((k) => rb.lines.has(k) || rb.writes.has(k));
    const rollup = newRollup(table);
    if (rollup !== null) {
      for (const k of keys) rollup.add(rb.writes.get(k)!);
      const built = rollup.rows();
      rows = built.length;
      text = built.map((r) => rowLine(table, r) + '\n').join('');
    } else {
      for (const k of keys) {
        const lines = rb.lines.get(k)!;
        rows += lines.length;
        text += lines.join('');
      }
    }
    rb.lines.clear();
    rb.writes.clear();
    rb.queued = true;
    this.queue({ table, batchId: rb.batchId, keys, body: Buffer.from(text, 'utf8'), rows });
  }
}
