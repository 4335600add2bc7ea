/** Message content as pieces, for re-encoding protobuf without copying what did not change (src/redaction/proto-rewrite.ts). */

/** New content of a message, as pieces: unchanged ranges are views of the request, only the top level is copied. */
export interface Rope {
  parts: Uint8Array[];
  length: number;
}

export function rope(bytes: Uint8Array): Rope {
  return { parts: [bytes], length: bytes.length };
}

export function append(r: Rope, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  r.parts.push(bytes);
  r.length += bytes.length;
}

/** Tag + length + content of a length-delimited field. */
export function lenField(field: number, content: Rope): Rope {
  const head: number[] = [];
  for (let v = field * 8 + 2; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      head.push(v);
      break;
    }
    head.push((v % 128) | 0x80);
  }
  for (let v = content.length; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      head.push(v);
      break;
    }
    head.push((v % 128) | 0x80);
  }
  return { parts: [Uint8Array.from(head), ...content.parts], length: head.length + content.length };
}
