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

/** Body ranges less than this apart are read in one read (readBodyRangesAt). */
const RANGE_GAP_BYTES = 16 * 1024;

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
  return out;
}

/**
 * Byte ranges of the body of the request record at `lsn` in `seg`, with the record (its body empty): the header, the
 * metadata, then each range (ranges close together in one read). The frame's checksum is not checked (that needs the
 * whole frame): a range that does not decode is the caller's to count. Null when the record is gone or has no body.
 */
export async function readBodyRangesAt(dir: string, seg: Segment, lsn: number, ranges: readonly { offset: number; length: number }[]): Promise<{ record: WalRecord; parts: (Uint8Array | null)[] } | null> {
  let fh: FileHandle;
  try {
    fh = await open(join(dir, segmentName(seg.baseLsn)), 'r');
  } catch {
    return null;
  }
  try {
    const at = lsn - seg.baseLsn;
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
    if ((await fh.read(head, 0, head.length, at)).bytesRead < head.length || head.readUInt32LE(0) !== FRAME_MAGIC) return null;
    const payloadLen = head.readUInt32LE(4);
    const metaLen = head.readUInt32LE(FRAME_HEADER_BYTES);
    if (4 + metaLen > payloadLen) return null;
    const meta = Buffer.allocUnsafe(4 + metaLen);
    meta.writeUInt32LE(metaLen, 0);
    if ((await fh.read(meta, 4, metaLen, at + FRAME_HEADER_BYTES + 4)).bytesRead < metaLen) return null;
    const record = decodeRecord(head.readUInt8(12), meta);
    if (record === null || !('body' in record)) return null;
    const bodyAt = at + FRAME_HEADER_BYTES + 4 + metaLen;
    const bodyLen = payloadLen - 4 - metaLen;
    const parts: (Uint8Array | null)[] = ranges.map(() => null);
    const order = ranges.map((r, i) => ({ ...r, i })).filter((r) => r.offset >= 0 && r.length > 0 && r.offset + r.length <= bodyLen);
    order.sort((a, b) => a.offset - b.offset);
    // Ranges less than RANGE_GAP_BYTES apart are read together.
    for (let k = 0; k < order.length; ) {
      const from = order[k]!.offset;
      let to = from + order[k]!.length;
      let m = k + 1;
      while (m < order.length && order[m]!.offset - to < RANGE_GAP_BYTES) {
        to = Math.max(to, order[m]!.offset + order[m]!.length);
        m++;
      }
      const buf = Buffer.allocUnsafe(to - from);
      if ((await fh.read(buf, 0, buf.length, bodyAt + from)).bytesRead === buf.length) {
        for (; k < m; k++) parts[order[k]!.i] = buf.subarray(order[k]!.offset - from, order[k]!.offset - from + order[k]!.length);
      }
      k = m;
    }
    return { record, parts };
  } finally {
    await fh.close();
  }
}
