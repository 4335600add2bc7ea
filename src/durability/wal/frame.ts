/** Record framing for WAL segments: `[magic u32][len u32][crc32 u32][type u8][payload]`. */
import { crc32 } from 'node:zlib';

/** Marks the start of every frame so a reader can resync after a corrupt record by scanning for it. */
export const FRAME_MAGIC = 0xa9e7_7a11;
/** Bytes before the payload. */
export const FRAME_HEADER_BYTES = 13;

/** One frame found in a segment buffer. */
export interface ScannedFrame {
  offset: number;
  type: number;
  payload: Uint8Array;
}

/** Builds one frame; the crc covers type and payload. */
export function encodeFrame(type: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(FRAME_MAGIC, 0);
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt8(type, 12);
  out.set(payload, FRAME_HEADER_BYTES);
  out.writeUInt32LE(crc32(out.subarray(12)), 8);
  return out;
}

/** A frame as a list of buffers (header, then the payload's parts uncopied), written with one writev. */
export interface FrameParts {
  bufs: Uint8Array[];
  length: number;
}

/** Builds a frame without copying the payload parts (a request body is written from the buffer it arrived in). */
export function encodeFrameParts(type: number, parts: readonly Uint8Array[]): FrameParts {
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  let len = 0;
  for (const p of parts) len += p.length;
  head.writeUInt32LE(FRAME_MAGIC, 0);
  head.writeUInt32LE(len, 4);
  head.writeUInt8(type, 12);
  let crc = crc32(head.subarray(12));
  for (const p of parts) crc = crc32(p, crc);
  head.writeUInt32LE(crc, 8);
  return { bufs: [head, ...parts], length: FRAME_HEADER_BYTES + len };
}

/** What scanning one segment found: intact frames plus damage counts. */
export interface ScanResult {
  frames: ScannedFrame[];
  corrupt: number;
  tornTail: boolean;
}

/** Scans a whole segment; a bad frame is skipped by searching for the next magic that starts a valid frame. */
export function scanFrames(buf: Buffer): ScanResult {
  const frames: ScannedFrame[] = [];
  let corrupt = 0;
  let tornTail = false;
  let pos = 0;
  while (pos < buf.length) {
    const frame = tryFrame(buf, pos);
    if (frame !== null) {
      frames.push(frame);
      pos = frame.offset + FRAME_HEADER_BYTES + frame.payload.length;
      continue;
    }
    const next = findNextFrame(buf, pos + 1);
    // Damage with no valid frame after it is a write cut short by a crash, not corruption in the middle.
    if (next === -1) {
      tornTail = true;
      break;
    }
    corrupt++;
    pos = next;
  }
  return { frames, corrupt, tornTail };
}

/** The intact frame starting at `pos`, or null. */
export function tryFrame(buf: Buffer, pos: number): ScannedFrame | null {
  if (pos + FRAME_HEADER_BYTES > buf.length) return null;
  if (buf.readUInt32LE(pos) !== FRAME_MAGIC) return null;
  const len = buf.readUInt32LE(pos + 4);
  const end = pos + FRAME_HEADER_BYTES + len;
  if (end > buf.length) return null;
  if (crc32(buf.subarray(pos + 12, end)) !== buf.readUInt32LE(pos + 8)) return null;
  return { offset: pos, type: buf.readUInt8(pos + 12), payload: buf.subarray(pos + FRAME_HEADER_BYTES, end) };
}

function findNextFrame(buf: Buffer, from: number): number {
  const magic = Buffer.allocUnsafe(4);
  magic.writeUInt32LE(FRAME_MAGIC, 0);
  let at = buf.indexOf(magic, from);
  while (at !== -1) {
    if (tryFrame(buf, at) !== null) return at;
    at = buf.indexOf(magic, at + 1);
  }
  return -1;
}
