import { describe, expect, it } from "vitest";
import { concatBytes } from "../util/bytes";
import {
  type Assembled,
  framesFor,
  MAX_MESSAGE,
  SNAPSHOT_FRAME,
  SnapshotAssembler,
  snapshotFrames,
} from "./snapshot-frames";

function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Byte for byte, without the test runner's element-wise diff (seconds at megabytes). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What came out, each snapshot by the name of the bytes it equals (undefined for none). */
const named = (out: Assembled[], names: Record<string, Uint8Array>) =>
  out.map((a) =>
    "snapshot" in a
      ? { snapshot: Object.keys(names).find((k) => same(names[k] as Uint8Array, concatBytes(a.snapshot))) }
      : a,
  );

/** Feeds frames to an assembler and returns what came out of them. */
function feed(assembler: SnapshotAssembler, frames: Array<string | Uint8Array>): Assembled[] {
  const out: Assembled[] = [];
  for (const f of frames) {
    const got = typeof f === "string" ? assembler.text(f) : assembler.binary(f);
    if (got) out.push(got);
  }
  return out;
}

describe("snapshot frames", () => {
  it("sends a snapshot that fits one frame as that frame alone, as Kong does", () => {
    const bytes = bytesOf(SNAPSHOT_FRAME);
    const frames = snapshotFrames(bytes);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toBe(bytes);
    expect(named(feed(new SnapshotAssembler(1 << 30), frames), { bytes })).toEqual([{ snapshot: "bytes" }]);
  });

  it("sends a larger one as a header and frames of at most SNAPSHOT_FRAME, put back together byte for byte", () => {
    const bytes = bytesOf(3 * SNAPSHOT_FRAME + 5);
    const frames = snapshotFrames(bytes);
    expect(frames[0]).toBe(JSON.stringify({ type: "snapshot", bytes: bytes.length }));
    expect(frames.slice(1).map((f) => f.length)).toEqual([SNAPSHOT_FRAME, SNAPSHOT_FRAME, SNAPSHOT_FRAME, 5]);
    const assembler = new SnapshotAssembler(bytes.length);
    // nothing comes out before the last frame; pongs between snapshots are no part of them
    expect(assembler.assembling).toBe(false);
    expect(feed(assembler, frames.slice(0, -1))).toEqual([]);
    expect(assembler.assembling).toBe(true);
    const last = feed(assembler, [frames.at(-1) as Uint8Array, '{"type":"pong"}']);
    expect(named(last, { bytes })).toEqual([{ snapshot: "bytes" }]);
    // the frames themselves, not joined into a copy: the node stores each as one chunk
    const pieces = (last[0] as { snapshot: Uint8Array[] }).snapshot;
    pieces.forEach((p, i) => {
      expect(p).toBe(frames[i + 1]);
    });
    expect(assembler.assembling).toBe(false);
    // the next snapshot, in one frame, comes through as it is
    const small = bytesOf(10, 7);
    expect(named(feed(assembler, [small]), { small })).toEqual([{ snapshot: "small" }]);
  });

  it("lets go of a snapshot's frames when its connection is gone", () => {
    const assembler = new SnapshotAssembler(1 << 30);
    feed(assembler, snapshotFrames(bytesOf(2 * SNAPSHOT_FRAME)).slice(0, 2));
    expect(assembler.assembling).toBe(true);
    assembler.abandon();
    expect(assembler.assembling).toBe(false);
    const small = bytesOf(10, 3);
    expect(named(feed(assembler, [small]), { small })).toEqual([{ snapshot: "small" }]);
  });

  it("refuses a snapshot over cluster_max_payload from its header, and lets its frames go by", () => {
    const big = bytesOf(2 * SNAPSHOT_FRAME + 1);
    const next = bytesOf(10, 3);
    const assembler = new SnapshotAssembler(2 * SNAPSHOT_FRAME);
    expect(named(feed(assembler, [...snapshotFrames(big), next]), { next })).toEqual([
      { refused: { reason: "too_large", size: big.length, limit: 2 * SNAPSHOT_FRAME } },
      { snapshot: "next" },
    ]);
  });

  it("refuses frames longer than announced, a header without a length, and a snapshot cut short", () => {
    const assembler = new SnapshotAssembler(1 << 30);
    const header = (n: number) => JSON.stringify({ type: "snapshot", bytes: n });
    expect(feed(assembler, [header(4), bytesOf(3), bytesOf(2)])).toEqual([
      { refused: { reason: "malformed", detail: "a snapshot's frames are longer than announced" } },
    ]);
    expect(feed(assembler, ['{"type":"snapshot","bytes":"4"}', '{"type":"snapshot"}'])).toEqual([
      { refused: { reason: "malformed", detail: "snapshot header without a length" } },
      { refused: { reason: "malformed", detail: "snapshot header without a length" } },
    ]);
    // a header before the last snapshot ended: that one is gone, the new one is taken
    const whole = bytesOf(4, 9);
    expect(
      feed(assembler, [header(8), bytesOf(3), header(4), whole.subarray(0, 2), whole.subarray(2)]),
    ).toEqual([
      { refused: { reason: "malformed", detail: "a snapshot's frames ended early" } },
      { snapshot: [whole.subarray(0, 2), whole.subarray(2)] },
    ]);
  });

  it("sends a DP that does not take frames each snapshot whole, and none over one message", () => {
    const small = bytesOf(10);
    expect(framesFor(small, false)).toEqual([small]);
    expect(framesFor(small, true)).toEqual([small]);
    const big = new Uint8Array(MAX_MESSAGE + 1);
    expect(framesFor(big, false)).toBeUndefined();
    // its header, then its frames
    expect(framesFor(big, true)?.length).toBe(1 + Math.ceil((MAX_MESSAGE + 1) / SNAPSHOT_FRAME));
    const whole = new Uint8Array(MAX_MESSAGE);
    const one = framesFor(whole, false);
    expect(one).toHaveLength(1);
    expect(one?.[0]).toBe(whole);
  });
});
