import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitWorkerdHeap } from "../helpers/heap-limit";

/** A Worker that keeps `mib` MiB of small objects alive, reachable from a global. */
const GROWER = `
const kept = [];
export default {
  async fetch(request) {
    const mib = Number(new URL(request.url).searchParams.get("mib"));
    for (let i = 0; i < mib * 1024 * 1024 / 64; i++) kept.push({ a: i, b: i + 1, c: [i] });
    return new Response(String(kept.length));
  },
};`;

const grower = () => new Miniflare({ modules: true, script: GROWER, compatibilityDate: "2026-04-20" });
const grow = async (mf: Miniflare, mib: number) => (await mf.dispatchFetch(`http://w/?mib=${mib}`)).text();

/**
 * The harness the memory tests rely on: workerd given a V8 heap limit holds it. Without the test,
 * a limit that silently did not apply would let those tests pass at any size.
 */
describe("workerd with a heap limit", () => {
  let limited: Miniflare;
  let free: Miniflare;

  beforeAll(async () => {
    const undo = limitWorkerdHeap(64);
    limited = grower();
    await limited.ready;
    undo();
    free = grower();
    await free.ready;
  });
  afterAll(async () => {
    await limited?.dispose().catch(() => undefined);
    await free?.dispose();
  });

  it("keeps what fits under the limit", async () => {
    expect(Number(await grow(limited, 16))).toBeGreaterThan(0);
  });

  it("runs out past it, where the same Worker without a limit does not", async () => {
    expect(Number(await grow(free, 160))).toBeGreaterThan(0);
    await expect(grow(limited, 160)).rejects.toThrow();
  });
});
