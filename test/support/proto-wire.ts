/** Hand-encoded protobuf wire fields, for requests no SDK would send (bad wire types, odd field orders). */

/** An unsigned varint's bytes. */
export const varint = (v: number): number[] => {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};

/** A length-delimited field: tag, length, body. */
export const ld = (field: number, body: number[] | Uint8Array): number[] => [...varint((field << 3) | 2), ...varint(body.length), ...body];

/** A fixed64 field (little-endian). */
export const fixed64 = (field: number, v: bigint): number[] => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return [...varint((field << 3) | 1), ...b];
};
