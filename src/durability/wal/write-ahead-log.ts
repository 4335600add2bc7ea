/** Append-only segment log of accepted requests, decisions, writer progress and evals, with group commit. */
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import { crashPoint } from '../../crashpoints.js';
import { AgtError } from '../../model/errors.js';
import type { Logger } from '../../log.js';
import { failed, ok, retryable, type Outcome } from '../../model/outcome.js';
import { encodeFrameParts, scanFrames, type FrameParts } from './frame.js';
import { decodeRecord, encodeRecordParts, typeCode, typeName, type WalRecord } from './record-codec.js';
import { ReadScratch, RecordHeads, readBodyRangesAt, readRecordHead, readRecordsAt, segmentName, type Segment } from './segment-read.js';
import { SegmentHandles } from './segment-handles.js';

export type { WalRecord } from './record-codec.js';

/** How durable an answered append is. */
/** `fsync`: every group commit is synced before its answers; `batch`: synced on a timer (durability `off` is the no-op journal). */
export type WalDurability = 'fsync' | 'batch';

/** Parameters of WriteAheadLog.open. */
export interface WalOpenParams {
  dir: string;
  durability: WalDurability;
  segmentBytes?: number;
  maxDiskBytes?: number;
  groupCommitMs?: number;
  /** Other bytes in the log's directory counted against `maxDiskBytes` (the store's spilled rows). */
  reservedBytes?: () => number;
  log: Logger;
  registry?: Registry;
}

/** What a replay found. */
export interface WalReplayReport {
  records: number;
  corrupt: number;
  tornTail: boolean;
  bytes: number;
}


interface Pending {
  frame: FrameParts;
  lsn: number;
  resolve: (o: Outcome<void>) => void;
}

const GROUP_FLUSH_BYTES = 4 * 1024 * 1024;
const FULL_RETRY_MS = 1000;

/** The log. LSN = byte position across all segments (segment base + offset), so it is monotonic without a counter. */
export class WriteAheadLog {
  private fsyncs = 0;
  /** fsync calls so far (group commit shows as far fewer of them than records). */
  get fsyncCount(): number {
    return this.fsyncs;
  }
  private readonly segments: Segment[];
  /** Read handles, record heads and scratch buffers of body read-backs (segment-handles.ts, segment-read.ts). */
  private readonly readers: SegmentHandles;
  private readonly heads = new RecordHeads();
  private readonly scratch = new ReadScratch();
  private handle: FileHandle | null = null;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private inFlight = false;
  private nextLsn: number;
  private diskTotal: number;
  private readonly metrics: { appends: Counter; bytes: Counter; fsyncs: Counter; corrupt: Counter; full: Counter } | null;

  private constructor(
    private readonly p: Required<Omit<WalOpenParams, 'registry'>>,
    segments: Segment[],
    registry: Registry | undefined,
  ) {
    this.segments = segments;
    this.readers = new SegmentHandles(p.dir);
    const last = segments.at(-1);
    this.nextLsn = last === undefined ? 0 : last.baseLsn + last.bytes;
    this.diskTotal = segments.reduce((s, x) => s + x.bytes, 0);
    this.metrics =
      registry === undefined
        ? null
        : {
            appends: new Counter({ name: 'agenttail_wal_appends_total', help: 'Records appended to the WAL', registers: [registry] }),
            bytes: new Counter({ name: 'agenttail_wal_appended_bytes', help: 'Bytes appended to the WAL', registers: [registry] }),
            fsyncs: new Counter({ name: 'agenttail_wal_fsyncs_total', help: 'fsync calls on WAL segments', registers: [registry] }),
            corrupt: new Counter({ name: 'agenttail_wal_corrupt_records_total', help: 'Corrupt or torn records skipped on replay', registers: [registry] }),
            full: new Counter({ name: 'agenttail_wal_full_refusals_total', help: 'Appends refused at the disk cap', registers: [registry] }),
          };
  }

  /** Opens (creating) the log directory; new appends always go to a fresh segment after the existing ones. */
  static async open(params: WalOpenParams): Promise<WriteAheadLog> {
    const full = {
      dir: params.dir,
      durability: params.durability,
      segmentBytes: params.segmentBytes ?? 64 * 1024 * 1024,
      maxDiskBytes: params.maxDiskBytes ?? 10 * 1024 * 1024 * 1024,
      groupCommitMs: params.groupCommitMs ?? 2,
      reservedBytes: params.reservedBytes ?? (() => 0),
      log: params.log,
    };
    await mkdir(params.dir, { recursive: true });
    const names = (await readdir(params.dir)).filter((n) => /^\d+\.wal$/.test(n)).sort();
    const segments: Segment[] = [];
    for (const name of names) {
      const st = await stat(join(params.dir, name));
      segments.push({ baseLsn: Number(name.slice(0, -4)), bytes: st.size });
    }
    const wal = new WriteAheadLog(full, segments, params.registry);
    if (params.durability === 'batch') {
      wal.syncTimer = setInterval(() => void wal.syncNow(), Math.max(10, full.groupCommitMs * 50));
      wal.syncTimer.unref();
    }
    return wal;
  }

  /** Bytes of all segments on disk (including what is queued for the current group). */
  get diskBytes(): number {
    return this.diskTotal;
  }

  /** The LSN the next record will get (every record below it has been appended, durable or not). */
  get endLsn(): number {
    return this.nextLsn;
  }

  /** Resolves with the record's LSN once durable per the durability mode; retryable AGT_ERR_WAL_FULL at the disk cap. */
  async append(record: WalRecord): Promise<Outcome<{ lsn: number }>> {
    const queued = this.log(record);
    if (queued.status !== 'ok') return queued;
    const durable = await queued.value.durable;
    return durable.status === 'ok' ? ok({ lsn: queued.value.lsn }) : durable;
  }

  /**
   * Queues a record and gives its LSN at once, with a promise of its durability. Records get LSNs in call order,
   * so a caller that logs and then acts synchronously keeps the log in the order of its actions (replay relies on it).
   */
  log(record: WalRecord): Outcome<{ lsn: number; durable: Promise<Outcome<void>> }> {
    const frame = encodeFrameParts(typeCode(record.type), encodeRecordParts(record));
    // Only data from clients (requests, log requests, eval posts) is refused at the cap: control records (decisions, batches,
    // confirmations) are small, and refusing them would leave the log unable to describe what it holds.
    const data = record.type === 'request' || record.type === 'eval' || record.type === 'logs' || record.type === 'metrics';
    if (data && this.diskTotal + this.p.reservedBytes() + frame.length > this.p.maxDiskBytes) {
      this.metrics?.full.inc();
      const err = new AgtError('AGT_ERR_WAL_FULL', `write-ahead log at its disk cap of ${this.p.maxDiskBytes} bytes`, { retryInMs: FULL_RETRY_MS });
      return retryable(err, FULL_RETRY_MS);
    }
    const lsn = this.nextLsn;
    this.nextLsn += frame.length;
    this.diskTotal += frame.length;
    this.metrics?.appends.inc();
    this.metrics?.bytes.inc(frame.length);
    const durable = new Promise<Outcome<void>>((resolve) => {
      this.pending.push({ frame, lsn, resolve });
      this.pendingBytes += frame.length;
      if (this.pendingBytes >= GROUP_FLUSH_BYTES) this.kickFlush();
      // While a write+fsync is in flight, appends gather behind it (natural group commit); otherwise batch mode
      // flushes after the current tick and fsync mode waits groupCommitMs for company.
      else if (!this.inFlight) this.timer ??= setTimeout(() => this.kickFlush(), this.p.durability === 'batch' ? 0 : this.p.groupCommitMs);
    });
    return ok({ lsn, durable });
  }

  private kickFlush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const group = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (group.length === 0) return;
    this.inFlight = true;
    this.flushing = this.flushing
      .then(() => this.writeGroup(group))
      .finally(() => {
        this.inFlight = false;
        if (this.pending.length > 0) this.kickFlush();
      });
  }

  // A failed write answers its group (ENOSPC → retryable WAL_FULL, else failed INTERNAL) and moves new appends
  // to a fresh segment, since the old one may now end in a partial frame.
  private async writeGroup(group: Pending[]): Promise<void> {
    const answered = { count: 0 };
    try {
      await this.writeChunks(group, answered);
    } catch (err) {
      this.p.log.error({ err }, 'wal write failed');
      const full = (err as NodeJS.ErrnoException).code === 'ENOSPC';
      const outcome = full
        ? retryable(new AgtError('AGT_ERR_WAL_FULL', 'write-ahead log disk is full', { cause: err, retryInMs: FULL_RETRY_MS }), FULL_RETRY_MS)
        : failed(new AgtError('AGT_ERR_INTERNAL', 'write-ahead log write failed', { cause: err }));
      for (const c of group.slice(answered.count)) c.resolve(outcome);
      const h = this.handle;
      this.handle = null;
      await h?.close().catch(() => undefined);
    }
  }

  // One write and (in fsync mode) one fsync per chunk; a group splits only at segment rollover.
  private async writeChunks(group: Pending[], answered: { count: number }): Promise<void> {
    let i = 0;
    while (i < group.length) {
      const seg = await this.segmentFor(group[i]!);
      const start = i;
      let bytes = 0;
      while (i < group.length && group[i]!.lsn === seg.baseLsn + seg.bytes + bytes && (i === start || seg.bytes + bytes + group[i]!.frame.length <= this.p.segmentBytes)) {
        bytes += group[i]!.frame.length;
        i++;
      }
      const chunk = group.slice(start, i);
      crashPoint('wal-write');
      await writeAll(this.handle!, chunk.flatMap((c) => c.frame.bufs));
      seg.bytes += bytes;
      if (this.p.durability === 'fsync') await this.fsync();
      crashPoint('wal-synced');
      for (const c of chunk) c.resolve(ok());
      answered.count = i;
    }
  }

  // Rolls to a new segment named by the record's LSN when the current one would exceed segmentBytes.
  private async segmentFor(first: Pending): Promise<Segment> {
    const cur = this.handle === null ? undefined : this.segments.at(-1);
    if (cur !== undefined && cur.bytes + first.frame.length <= this.p.segmentBytes) return cur;
    if (this.handle !== null) {
      await this.fsync();
      await this.handle.close();
    }
    const seg = { baseLsn: first.lsn, bytes: 0 };
    this.handle = await open(join(this.p.dir, segmentName(first.lsn)), 'a');
    this.segments.push(seg);
    return seg;
  }

  private async fsync(): Promise<void> {
    if (this.handle === null) return;
    await this.handle.datasync();
    this.fsyncs++;
    this.metrics?.fsyncs.inc();
  }

  private async syncNow(): Promise<void> {
    this.flushing = this.flushing.then(() => this.fsync()).catch((err: unknown) => this.p.log.error({ err }, 'wal fsync failed'));
    await this.flushing;
  }

  /** Replays every intact record in order; torn/corrupt records are skipped, counted and logged. */
  async replay(onRecord: (lsn: number, record: WalRecord) => void | Promise<void>, types?: ReadonlySet<WalRecord['type']>): Promise<WalReplayReport> {
    const report: WalReplayReport = { records: 0, corrupt: 0, tornTail: false, bytes: 0 };
    for await (const item of this.scan(0, report, types)) {
      report.records++;
      await onRecord(item.lsn, item.record);
    }
    if (report.corrupt > 0 || report.tornTail) {
      this.metrics?.corrupt.inc(report.corrupt + (report.tornTail ? 1 : 0));
      this.p.log.warn({ corrupt: report.corrupt, tornTail: report.tornTail }, 'wal replay skipped damaged records');
    }
    return report;
  }

  /** Reads the records at the given LSNs (missing or damaged ones are left out: their segment was released or is corrupt). */
  async readAt(lsns: readonly number[]): Promise<{ lsn: number; record: WalRecord }[]> {
    const newest = Math.max(-1, ...lsns);
    if (newest >= 0) await this.written(newest);
    return readRecordsAt(this.p.dir, [...this.segments], lsns);
  }

  /**
   * Byte ranges of a logged request's body (offsets within the body) with the record's metadata (its body empty),
   * without reading the whole frame (src/durability/wal/segment-read.ts). Null when the log no longer holds the record
   * or it carries no body.
   */
  async readBodyRanges(lsn: number, ranges: readonly { offset: number; length: number }[]): Promise<{ record: WalRecord; parts: (Uint8Array | null)[] } | null> {
    await this.written(lsn);
    const seg = this.segments.find((x) => lsn >= x.baseLsn && lsn < x.baseLsn + x.bytes);
    if (seg === undefined) return null;
    return this.readers.use(segmentName(seg.baseLsn), async (fh) => {
      const head = await this.heads.of(lsn, () => readRecordHead(fh, lsn - seg.baseLsn));
      return head === null ? null : { record: { ...head.record }, parts: await readBodyRangesAt(fh, head, ranges, this.scratch) };
    });
  }

  /**
   * Waits until the record at `lsn` is on disk when it was logged but not written yet (its group still gathering, or
   * in flight): a session can be decided in the tick its last request was logged (size limits, memory relief).
   */
  private async written(lsn: number): Promise<void> {
    const last = this.segments.at(-1);
    const writtenEnd = last === undefined ? 0 : last.baseLsn + last.bytes;
    if (lsn < writtenEnd || lsn >= this.nextLsn) return;
    if (this.pending.length > 0) this.kickFlush();
    await this.flushing;
  }

  private async *scan(fromLsn: number, report: WalReplayReport, types?: ReadonlySet<WalRecord['type']>): AsyncGenerator<{ lsn: number; record: WalRecord }> {
    for (const seg of [...this.segments]) {
      if (seg.baseLsn + seg.bytes <= fromLsn) continue;
      let buf: Buffer;
      try {
        buf = await readFile(join(this.p.dir, segmentName(seg.baseLsn)));
      } catch {
        continue; // released concurrently
      }
      report.bytes += buf.length;
      const found = scanFrames(buf);
      report.corrupt += found.corrupt;
      // Only the newest pre-existing segment can end torn; in older ones a bad tail is corruption.
      if (found.tornTail) report.tornTail = true;
      for (const f of found.frames) {
        const lsn = seg.baseLsn + f.offset;
        if (lsn < fromLsn) continue;
        if (types !== undefined && !types.has(typeName(f.type) ?? 'request')) continue;
        const record = decodeRecord(f.type, f.payload);
        if (record === null) {
          report.corrupt++;
          continue;
        }
        yield { lsn, record };
      }
    }
  }

  /** Deletes closed segments whose every record is below `upToLsn` and whose file is older than `retentionMs`. */
  async release(upToLsn: number, retentionMs: number): Promise<{ deletedSegments: number }> {
    let deletedSegments = 0;
    const active = this.handle === null ? undefined : this.segments.at(-1);
    for (const seg of [...this.segments]) {
      if (seg === active || seg.baseLsn + seg.bytes > upToLsn) continue;
      const path = join(this.p.dir, segmentName(seg.baseLsn));
      const st = await stat(path);
      if (Date.now() - st.mtimeMs < retentionMs) continue;
      await unlink(path);
      await this.readers.drop(segmentName(seg.baseLsn));
      this.segments.splice(this.segments.indexOf(seg), 1);
      this.diskTotal -= seg.bytes;
      deletedSegments++;
    }
    return { deletedSegments };
  }

  /** Flushes queued appends, fsyncs and closes the segment. */
  async close(): Promise<void> {
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    this.kickFlush();
    await this.flushing;
    if (this.handle !== null) {
      await this.fsync();
      await this.handle.close();
      this.handle = null;
    }
    await this.readers.closeAll();
  }
}

/** Writes the buffers in order (writev in slices under IOV_MAX), retrying short writes. */
async function writeAll(handle: FileHandle, bufs: Uint8Array[]): Promise<void> {
  for (let i = 0; i < bufs.length; i += 512) {
    const slice = bufs.slice(i, i + 512);
    let want = 0;
    for (const b of slice) want += b.length;
    const { bytesWritten } = await handle.writev(slice);
    if (bytesWritten < want) {
      // A short writev (rare: a signal, a full pipe): write the rest plainly.
      const rest = Buffer.concat(slice).subarray(bytesWritten);
      let off = 0;
      while (off < rest.length) off += (await handle.write(rest, off)).bytesWritten;
    }
  }
}
