/** A minimal protobuf writer for the few small messages agenttail answers with (responses, google.rpc.Status). */

/** Base-128 varint of a non-negative integer (up to 2^53). */
export function varint(value: number): number[] {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(value));
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A varint field of a non-negative value; omitted when zero (proto3 default). */
export function varintField(field: number, value: number): number[] {
  return value <= 0 ? [] : [(field << 3) | 0, ...varint(value)];
}

/** A length-delimited field (bytes, string or embedded message). */
export function lenField(field: number, bytes: Uint8Array | number[]): number[] {
  return [(field << 3) | 2, ...varint(bytes.length), ...bytes];
}
