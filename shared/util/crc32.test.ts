import { crc32 as nodeCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, crc32Combine } from "./crc32";

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) & 0xff);

describe("crc32", () => {
  it("gives zlib's CRC-32, and the check value of the standard", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    for (const n of [0, 1, 7, 1000, 65_537]) expect(crc32(bytes(n, n))).toBe(nodeCrc32(bytes(n, n)));
  });

  it("combines the CRCs of two parts into the CRC of both, at any lengths", () => {
    for (const [a, b] of [
      [0, 0],
      [5, 0],
      [0, 9],
      [1, 1],
      [1000, 3],
      [3, 70_000],
      [123_457, 1_048_577],
    ] as const) {
      const x = bytes(a, 1);
      const y = bytes(b, 2);
      const whole = new Uint8Array(a + b);
      whole.set(x);
      whole.set(y, a);
      expect(crc32Combine(crc32(x), crc32(y), b)).toBe(nodeCrc32(whole));
    }
  });
});
