import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gunzip } from "../../shared/util/bytes";
import { nativeFlushDeflate } from "./native-codecs";
import { type Segment, SegmentedGzip } from "./segmented-gzip";

const segment = (tag: string, records: object[], text: string): Segment => ({
  tag,
  records,
  text: () => text,
});

/** Both inflaters check the CRC-32 and length in the trailer. */
async function inflated(gz: Uint8Array): Promise<string> {
  const viaNode = gunzipSync(gz).toString();
  const viaStream = new TextDecoder().decode(await gunzip(gz, 1 << 30));
  expect(viaStream).toBe(viaNode);
  return viaNode;
}

/** The pieces in order, as one gzip member. */
const gzipOf = (gz: SegmentedGzip, pieces: Array<string | Segment>) => gz.finish(gz.start(pieces));

describe("SegmentedGzip", () => {
  it("makes one gzip member of literals and segments, empty input included", async () => {
    const gz = new SegmentedGzip(nativeFlushDeflate);
    expect(await inflated((await gzipOf(gz, [])).gzip)).toBe("");
    const a = {};
    const b = {};
    const built = await gzipOf(gz, [
      "{",
      segment("x", [a], "ünï ".repeat(5000)),
      ",",
      segment("x", [b], "b"),
      "}",
    ]);
    expect(await inflated(built.gzip)).toBe(`{${"ünï ".repeat(5000)},b}`);
    expect(built.size).toBe(new TextEncoder().encode(`{${"ünï ".repeat(5000)},b}`).length);
  });

  it("compresses a segment again only when its records or tag change", async () => {
    let calls = 0;
    const gz = new SegmentedGzip((text) => {
      calls++;
      return nativeFlushDeflate(text);
    });
    const r = [{}, {}, {}];
    const pieces = (records: object[][], tags: string[]) =>
      records.map((rs, i) => segment(tags[i] ?? "", rs, `[${i}:${rs.length}:${tags[i]}]`));
    await gzipOf(gz, pieces([[r[0] as object], [r[1] as object, r[2] as object]], ["a", "b"]));
    expect(gz.commit()).toEqual({ compressed: 2, reused: 0 });
    calls = 0;
    const same = await gzipOf(gz, pieces([[r[0] as object], [r[1] as object, r[2] as object]], ["a", "b"]));
    expect(gz.commit()).toEqual({ compressed: 0, reused: 2 });
    expect(calls).toBe(0);
    expect(await inflated(same.gzip)).toBe("[0:1:a][1:2:b]");
    // a record dropped from the second segment, and the first tagged otherwise
    const changed = await gzipOf(gz, pieces([[r[0] as object], [r[1] as object]], ["z", "b"]));
    expect(gz.commit()).toEqual({ compressed: 2, reused: 0 });
    expect(await inflated(changed.gzip)).toBe("[0:1:z][1:1:b]");
  });

  it("hands every piece to an asynchronous deflate before the first is done", async () => {
    const waiting: Array<() => void> = [];
    const gz = new SegmentedGzip(
      (text) => new Promise((resolve) => waiting.push(() => resolve(nativeFlushDeflate(text)))),
    );
    const built = gzipOf(gz, ["[", segment("x", [{}], "a"), ",", segment("x", [{}], "b"), "]"]);
    // five pieces: three literals and two segments, all started, none finished
    expect(waiting).toHaveLength(5);
    for (const done of waiting.reverse()) done();
    expect(await inflated((await built).gzip)).toBe("[a,b]");
  });

  it("does not reuse what a failed build compressed", async () => {
    let fail = true;
    const gz = new SegmentedGzip(async (text) => {
      if (fail) throw new Error("deflate failed");
      return nativeFlushDeflate(text);
    });
    const r = {};
    await expect(gzipOf(gz, [segment("x", [r], "a")])).rejects.toThrow("deflate failed");
    gz.abandon();
    fail = false;
    expect(await inflated((await gzipOf(gz, [segment("x", [r], "a")])).gzip)).toBe("a");
    expect(gz.commit()).toEqual({ compressed: 1, reused: 0 });
  });
});
