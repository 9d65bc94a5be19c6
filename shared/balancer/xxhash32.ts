/**
 * XXH32 with seed 0 (the xxHash specification's 32-bit algorithm): the hash Kong's
 * consistent-hashing balancer places targets and requests on its continuum with.
 */
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const round = (acc: number, lane: number) => Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
const word = (b: Uint8Array, i: number) =>
  (b[i] as number) |
  ((b[i + 1] as number) << 8) |
  ((b[i + 2] as number) << 16) |
  ((b[i + 3] as number) << 24) |
  0;

export function xxhash32(input: Uint8Array): number {
  const len = input.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2 | 0;
    let v3 = 0;
    let v4 = -P1 | 0;
    for (; i <= len - 16; i += 16) {
      v1 = round(v1, word(input, i));
      v2 = round(v2, word(input, i + 4));
      v3 = round(v3, word(input, i + 8));
      v4 = round(v4, word(input, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5 | 0;
  }
  h = (h + len) | 0;
  for (; i <= len - 4; i += 4) h = Math.imul(rotl((h + Math.imul(word(input, i), P3)) | 0, 17), P4);
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(input[i] as number, P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
