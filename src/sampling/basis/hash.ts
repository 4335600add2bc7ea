/**
 * Stable hashes for sampling. MurmurHash3 (x86, 32-bit) over the UTF-8 bytes of a string, so every
 * instance (and any other language implementing murmur3) computes the same value for the same key.
 */

const encoder = new TextEncoder();
// Reused across calls: decisions run on one thread and never re-enter hashing.
let scratch = new Uint8Array(256);

function utf8(s: string): { bytes: Uint8Array; length: number } {
  // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(s.length * 3);
  const { written } = encoder.encodeInto(s, scratch);
  return { bytes: scratch, length: written };
}

/** MurmurHash3 x86_32 of the UTF-8 bytes of `s`, as an unsigned 32-bit integer. */
export function murmur3(s: string, seed: number = 0): number {
  const { bytes, length } = utf8(s);
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) derived from `key` and `seed`; the same on every instance. */
export function unitHash(key: string, seed: number = 0): number {
  return murmur3(key, seed) / 0x1_0000_0000;
}

/** A seed derived from a name, so each policy draws an independent hash of the same session key. */
export function seedOf(name: string): number {
  return murmur3(name, 0x9747b28c);
}
