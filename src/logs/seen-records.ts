/**
 * Log records stored once under at-least-once delivery. A client (or a collector between) may send the same records
 * again: while their session is open, after its decision, after our restart. OTLP gives a record no id, so its
 * identity is what it carries — trace and span ids, both times, severity, event name, body and attributes, resource
 * and scope — hashed to 53 bits (sha-256, exact as a double; a new record is taken for a re-delivery by mistake with
 * probability n / 2^53 in a group of n).
 *
 * Remembered per group a record joins (its trace, else its session alias, else the tenant's untraced records): with
 * the arrival that first carried it (the log record's LSN, or a local sequence without the log), so a replay, an
 * upgrade's backfill and a re-delivery all agree on which arrival owns the record. Bounded by `maxBytes`, least
 * recently seen groups forgotten first (`agenttail_logs_seen_evicted_groups_total`); recovery rebuilds the memory from
 * the logs requests still in the write-ahead log, settled ones included, as counted spans are rebuilt from decision
 * records (docs/logs.md).
 */
import { createHash } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OtlpLogRecord } from '../otlp/log-types.js';

/** Accounted bytes per remembered record (a Map entry of two numbers) and per group (map entry, key, Map). */
export const RECORD_BYTES = 48;
export const GROUP_OVERHEAD_BYTES = 300;

const HIGH = 2 ** 21;

function bigints(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
}

/** The 53-bit identity of a log record: a hash of everything it carries except its size on the wire. */
export function logRecordIdentity(r: OtlpLogRecord): number {
  const h = createHash('sha256');
  h.update(`${r.traceId}\u0000${r.spanId}\u0000${r.timeUnixNano}\u0000${r.observedTimeUnixNano}\u0000${r.severityNumber}\u0000${r.severityText}\u0000${r.eventName}\u0000${r.flags}\u0000`);
  h.update(JSON.stringify([r.body, r.attributes, r.resource.attributes, r.scope.name, r.scope.version], bigints));
  const d = h.digest();
  return d.readUInt32BE(0) * HIGH + (d.readUInt32BE(4) >>> 11);
}

/** Parameters of SeenLogRecords. */
export interface SeenLogRecordsParams {
  /** Accounted bytes past which the least recently seen groups are forgotten. */
  maxBytes: number;
  registry: Registry;
}

/** Record identities per group, each with the arrival that first carried it. */
export class SeenLogRecords {
  /** Map order: least recently seen group first. */
  private readonly groups = new Map<string, Map<number, number>>();
  private records = 0;
  private bytes = 0;
  private readonly evicted: Counter;

  constructor(private readonly p: SeenLogRecordsParams) {
    const registers = [p.registry];
    const state = (): { records: number; bytes: number } => ({ records: this.records, bytes: this.bytes });
    new Gauge({ name: 'agenttail_logs_seen_records', help: 'Log record identities remembered (a re-delivery of one is stored and counted once).', registers, collect() { this.set(state().records); } });
    new Gauge({ name: 'agenttail_logs_seen_bytes', help: 'Accounted bytes of the log record identities (bound: logs.seenMaxBytes).', registers, collect() { this.set(state().bytes); } });
    this.evicted = new Counter({ name: 'agenttail_logs_seen_evicted_groups_total', help: 'Groups (traces or sessions) whose log record identities were forgotten to stay under logs.seenMaxBytes (a re-delivery to them is stored again).', registers });
  }

  /**
   * The arrival that first carried the record, remembering `arrival` when it is the first. Equal to `arrival` for a
   * first sighting (or the same arrival placed again, as in a replay); another value for a re-delivery.
   */
  sight(groupKey: string, identity: number, arrival: number): number {
    let g = this.groups.get(groupKey);
    if (g === undefined) {
      g = new Map();
      this.account(0, 1);
    } else {
      // Most recently seen last.
      this.groups.delete(groupKey);
    }
    this.groups.set(groupKey, g);
    const first = g.get(identity);
    if (first !== undefined) return first;
    g.set(identity, arrival);
    this.account(1, 0);
    this.evict(groupKey);
    return arrival;
  }

  /** The arrival that first carried the record (undefined when not remembered). */
  firstArrival(groupKey: string, identity: number): number | undefined {
    return this.groups.get(groupKey)?.get(identity);
  }

  private evict(keep: string): void {
    for (const [k, g] of this.groups) {
      if (this.bytes <= this.p.maxBytes) return;
      if (k === keep) continue;
      this.groups.delete(k);
      this.account(-g.size, -1);
      this.evicted.inc();
    }
    // One group alone past the bound (a tenant's untraced records): it starts over.
    const g = this.groups.get(keep);
    if (this.bytes > this.p.maxBytes && g !== undefined) {
      this.account(-g.size, 0);
      g.clear();
      this.evicted.inc();
    }
  }

  private account(records: number, groups: number): void {
    this.records += records;
    this.bytes += records * RECORD_BYTES + groups * GROUP_OVERHEAD_BYTES;
  }
}
