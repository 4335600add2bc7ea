/**
 * Reading records back from the log's segment files by LSN (upgrades, spans held lean): whole frames checked by their
 * checksum, or byte ranges of a request's body without the whole frame.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_HEADER_BYTES, FRAME_MAGIC, tryFrame } from './frame.js';
import { decodeRecord, type WalRecord } from './record-codec.js';

/** One segment file: the LSN of its first byte and its length. */
export interface Segment {
  baseLsn: number;
  bytes: number;
}

/** Digits of a segment file's name (its base LSN, zero-padded). */
const SEGMENT_DIGITS = 20;

/**
 * Body ranges less than this apart are read in one read (readBodyRangesAt). Each read costs the main thread ~10 µs
 * of hand-off to the thread pool whatever its size, the bytes between two ranges only a copy in the pool: at 16 KiB,
 * a kept session's spans in a ~500 KiB request took 7.2 reads per request (bench/layers.ts traffic), at 256 KiB 1.0.
 */
const RANGE_GAP_BYTES = 256 * 1024;
/** A read of several ranges spans at most this: the size of a scratch buffer. */
const MAX_READ_BYTES = 1024 * 1024;
/** Metadata bytes read with the frame header in one read; a record whose metadata is longer takes a second read. */
const META_READ_BYTES = 1024;
/** Scratch buffers at most (reads of several ranges in flight at once; more wait for one): 2 MiB held once used. */
const SCRATCH_BUFFERS = 2;

/**
 * Scratch buffers for reads of several ranges, reused: the ranges are copied out of them, so a read-back allocates
 * only the bytes it returns. A fresh buffer per read (~430 KiB per request on the e2e traffic, of which ~75 KiB asked
 * for) was external memory that brought V8's full collections forward (loop lag up to 430 ms in bench/e2e.ts).
 */
export class ReadScratch {
  private readonly free: Buffer[] = [];
  private made = 0;
  private readonly waiting: ((b: Buffer) => void)[] = [];

  /** A scratch buffer of MAX_READ_BYTES, to be given back. */
  take(): Promise<Buffer> {
    const b = this.free.pop();
    if (b !== undefined) return Promise.resolve(b);
    if (this.made < SCRATCH_BUFFERS) {
      this.made++;
      return Promise.resolve(Buffer.allocUnsafe(MAX_READ_BYTES));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(b: Buffer): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(b);
    else this.free.push(b);
  }
}

export function segmentName(baseLsn: number): string {
  return `${String(baseLsn).padStart(SEGMENT_DIGITS, '0')}.wal`;
}

/** The records at `lsns` in `segments` (missing or damaged ones are left out). */
export async function readRecordsAt(dir: string, segments: readonly Segment[], lsns: readonly number[]): Promise<{ lsn: number; record: WalRecord }[]> {
  const out: { lsn: number; record: WalRecord }[] = [];
  const sorted = [...new Set(lsns)].sort((a, b) => a - b);
  let i = 0;
  for (const seg of [...segments]) {
    const end = seg.baseLsn + seg.bytes;
    if (i >= sorted.length) break;
    if (sorted[i]! >= end) continue;
    let fh: FileHandle;
    try {
      fh = await open(join(dir, segmentName(seg.baseLsn)), 'r');
    } catch {
      while (i < sorted.length && sorted[i]! < end) i++;
      continue;
    }
    try {
      for (; i < sorted.length && sorted[i]! < end; i++) {
        const at = sorted[i]! - seg.baseLsn;
        if (at < 0) continue;
        const head = Buffer.alloc(FRAME_HEADER_BYTES);
        const got = await fh.read(head, 0, FRAME_HEADER_BYTES, at);
        if (got.bytesRead < FRAME_HEADER_BYTES) continue;
        const buf = Buffer.alloc(FRAME_HEADER_BYTES + head.readUInt32LE(4));
        await fh.read(buf, 0, buf.length, at);
        const frame = tryFrame(buf, 0);
        const record = frame === null ? null : decodeRecord(frame.type, frame.payload);
        if (record !== null) out.push({ lsn: sorted[i]!, record });
      }
    } finally {
      await fh.close();
    }
  }
  return out;
}

/** A logged record with a body, as its frame header and metadata say: the record (its body empty) and where its body is. */
export interface RecordHead {
  record: WalRecord;
  /** Byte of the segment file where the body starts. */
  bodyAt: number;
  bodyLen: number;
}

/**
 * The head of the record at byte `at` of the segment file open as `fh`: the frame header and the metadata in one read
 * (the metadata of a request is ~100 bytes). Null when the record is gone or has no body. The frame's checksum is not
 * checked (that needs the whole frame): a range of the body that does not decode is the caller's to count.
 */
export async function readRecordHead(fh: FileHandle, at: number): Promise<RecordHead | null> {
  let head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4 + META_READ_BYTES);
  const got = (await fh.read(head, 0, head.length, at)).bytesRead;
  if (got < FRAME_HEADER_BYTES + 4 || head.readUInt32LE(0) !== FRAME_MAGIC) return null;
  const payloadLen = head.readUInt32LE(4);
  const metaLen = head.readUInt32LE(FRAME_HEADER_BYTES);
  if (4 + metaLen > payloadLen) return null;
  const metaEnd = FRAME_HEADER_BYTES + 4 + metaLen;
  if (metaEnd > got) {
    const whole = Buffer.allocUnsafe(metaEnd);
    head.copy(whole, 0, 0, got);
    if ((await fh.read(whole, got, metaEnd - got, at + got)).bytesRead < metaEnd - got) return null;
    head = whole;
  }
  const record = decodeRecord(head.readUInt8(12), head.subarray(FRAME_HEADER_BYTES, metaEnd));
  if (record === null || !('body' in record)) return null;
  return { record, bodyAt: at + FRAME_HEADER_BYTES + 4 + metaLen, bodyLen: payloadLen - 4 - metaLen };
}

/** Byte ranges of the body of the record whose head is `head` (offsets within the body; close ones in one read); null parts for ranges past its end. */
export async function readBodyRangesAt(fh: FileHandle, head: RecordHead, ranges: readonly { offset: number; length: number }[], scratch: ReadScratch): Promise<(Uint8Array | null)[]> {
  const { bodyAt, bodyLen } = head;
  const parts: (Uint8Array | null)[] = ranges.map(() => null);
  const order = ranges.map((r, i) => ({ ...r, i })).filter((r) => r.offset >= 0 && r.length > 0 && r.offset + r.length <= bodyLen);
  order.sort((a, b) => a.offset - b.offset);
  // The parts, in one buffer of the bytes asked for.
  let asked = 0;
  for (const r of order) asked += r.length;
  const out = Buffer.allocUnsafe(asked);
  let outAt = 0;
  // Ranges less than RANGE_GAP_BYTES apart are read together (into a scratch buffer, then copied), up to MAX_READ_BYTES a read.
  for (let k = 0; k < order.length; ) {
    const from = order[k]!.offset;
    let to = from + order[k]!.length;
    let m = k + 1;
    while (m < order.length && order[m]!.offset - to < RANGE_GAP_BYTES) {
      const end = Math.max(to, order[m]!.offset + order[m]!.length);
      if (end - from > MAX_READ_BYTES) break;
      to = end;
      m++;
    }
    if (m === k + 1) {
      // One range: read straight into its part.
      const r = order[k]!;
      if ((await fh.read(out, outAt, r.length, bodyAt + r.offset)).bytesRead === r.length) parts[r.i] = out.subarray(outAt, outAt + r.length);
      outAt += r.length;
      k = m;
      continue;
    }
    const buf = await scratch.take();
    try {
      if ((await fh.read(buf, 0, to - from, bodyAt + from)).bytesRead === to - from) {
        for (let j = k; j < m; j++) {
          const r = order[j]!;
          buf.copy(out, outAt, r.offset - from, r.offset - from + r.length);
          parts[r.i] = out.subarray(outAt, outAt + r.length);
          outAt += r.length;
        }
      }
    } finally {
      scratch.give(buf);
    }
    k = m;
  }
  return parts;
}

/** Heads of request records kept for the next read-backs: one request's spans are read back for several sweeps' kept sessions. */
const HEADS_KEPT = 256;

/** The heads of the records read back lately, by LSN (a read in flight is shared), the oldest dropped past HEADS_KEPT. */
export class RecordHeads {
  private readonly heads = new Map<number, Promise<RecordHead | null>>();

  /** The head at `lsn`, read by `read` unless held. */
  of(lsn: number, read: () => Promise<RecordHead | null>): Promise<RecordHead | null> {
    const held = this.heads.get(lsn);
    if (held !== undefined) return held;
    if (this.heads.size >= HEADS_KEPT) this.heads.delete(this.heads.keys().next().value!);
    const head = read().catch(() => null);
    this.heads.set(lsn, head);
    // A record not found is not remembered: its segment may not be written yet.
    void head.then((h) => {
      if (h === null && this.heads.get(lsn) === head) this.heads.delete(lsn);
    });
    return head;
  }
}
