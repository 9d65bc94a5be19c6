import { describe, expect, it } from "vitest";
import { concatBytes, sha256Hex, streamOf } from "./bytes";
import { joinRange, piecesLength, sha256HexOf, slicePieces } from "./pieces";

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);
/** `bytes` cut at the given offsets. */
const cut = (at: number[]) =>
  [...at, bytes.length].map((end, i) => bytes.subarray(i ? (at[i - 1] as number) : 0, end));

describe("bytes in pieces", () => {
  const cuts = [[], [1], [500], [0, 999], [3, 4, 5, 700]];

  it("gives any range of them as views, or joined, the same as the bytes end to end", () => {
    for (const at of cuts) {
      const pieces = cut(at);
      expect(piecesLength(pieces)).toBe(1000);
      for (const [start, end] of [
        [0, 1000],
        [0, 4],
        [2, 600],
        [499, 501],
        [999, 1000],
        [10, 10],
      ] as const) {
        expect(joinRange(pieces, start, end)).toEqual(bytes.subarray(start, end));
        expect(concatBytes(slicePieces(pieces, start, end))).toEqual(bytes.subarray(start, end));
        // views, not copies
        for (const v of slicePieces(pieces, start, end)) expect(v.buffer).toBe(bytes.buffer);
      }
    }
  });

  it("hashes them as the bytes end to end", async () => {
    const whole = await sha256Hex(bytes);
    for (const at of cuts) expect(await sha256HexOf(cut(at))).toBe(whole);
    expect(await sha256HexOf([])).toBe(await sha256Hex(new Uint8Array(0)));
  });

  it("streams them in order, empty pieces and all", async () => {
    const pieces = [bytes.subarray(0, 0), ...cut([1, 600]), bytes.subarray(0, 0)];
    const out: Uint8Array[] = [];
    const reader = streamOf(pieces).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
    expect(concatBytes(out)).toEqual(bytes);
  });
});
