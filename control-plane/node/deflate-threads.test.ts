import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { constants, inflateRawSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { nativeCrc32, nativeFlushDeflate } from "../cluster/native-codecs";
import { SegmentedGzip } from "../cluster/segmented-gzip";
import { DeflateThreads } from "./deflate-threads";

const text = (i: number) =>
  JSON.stringify(Array.from({ length: 200 }, (_, j) => ({ id: `${i}-${j}`, name: `consumer-${i * j}` })));
const bytesOf = (s: string) => new TextEncoder().encode(s);

describe("DeflateThreads", () => {
  let pool: DeflateThreads | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it("compresses as zlib does on this thread, many runs at once over its threads", async () => {
    pool = new DeflateThreads({ threads: 2 });
    const inputs = Array.from({ length: 40 }, (_, i) => text(i));
    const out = await Promise.all(inputs.map((s) => (pool as DeflateThreads).deflate(s)));
    const here = await Promise.all(inputs.map((s) => nativeFlushDeflate(s)));
    out.forEach((d, i) => {
      expect(Buffer.from(d.deflated).equals(here[i]?.deflated as Uint8Array)).toBe(true);
      expect(d.crc).toBe(nativeCrc32(bytesOf(inputs[i] as string)));
      expect(d.size).toBe(bytesOf(inputs[i] as string).length);
      expect(inflateRawSync(d.deflated, { finishFlush: constants.Z_SYNC_FLUSH }).toString()).toBe(inputs[i]);
    });
  });

  it("serves a segmented gzip that inflates to its pieces", async () => {
    pool = new DeflateThreads();
    const gz = new SegmentedGzip(pool.deflate);
    const pieces = [0, 1, 2].map((i) => ({ tag: "t", records: [{}], text: () => text(i) }));
    const started = gz.start(["[", ...pieces.flatMap((p) => [p, ","]), "0]"]);
    const built = await gz.finish(started, "lead:");
    const { gunzipSync } = await import("node:zlib");
    expect(gunzipSync(built.gzip).toString()).toBe(`lead:[${text(0)},${text(1)},${text(2)},0]`);
  });

  it("compresses text as its UTF-8 bytes, with their CRC-32 and length", async () => {
    pool = new DeflateThreads({ threads: 1 });
    const input = `ünï ${"€ 😀 ".repeat(500)}`;
    const d = await pool.deflate(input);
    const bytes = bytesOf(input);
    expect(d.size).toBe(bytes.length);
    expect(d.size).toBeGreaterThan(input.length);
    expect(d.crc).toBe(nativeCrc32(bytes));
    expect(inflateRawSync(d.deflated, { finishFlush: constants.Z_SYNC_FLUSH }).toString()).toBe(input);
  });

  it("fails the jobs still running when closed, and any asked after", async () => {
    pool = new DeflateThreads({ threads: 1 });
    const big = "lintel ".repeat(4_000_000);
    const running = pool.deflate(big);
    await pool.close();
    await expect(running).rejects.toThrow(/deflate thread exited/);
    await expect(pool.deflate("late")).rejects.toThrow("deflate threads closed");
  });

  it("fails the jobs of a thread that dies, and starts another for the next job", async () => {
    pool = new DeflateThreads({ threads: 1 });
    // the test reaches into the pool for its thread: nothing outside it can end one
    const thread = () =>
      (pool as unknown as { threads: Array<{ worker: { terminate(): Promise<number> } } | undefined> })
        .threads[0];
    const dying = thread();
    const owed = pool.deflate("lintel ".repeat(4_000_000));
    await dying?.worker.terminate();
    await expect(owed).rejects.toThrow(/deflate thread exited/);
    const d = await pool.deflate(text(3));
    expect(inflateRawSync(d.deflated, { finishFlush: constants.Z_SYNC_FLUSH }).toString()).toBe(text(3));
    expect(thread()).not.toBe(dying);
  });

  it("keeps the process alive while a job is owed, and lets it exit once idle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lintel-deflate-"));
    const script = join(dir, "job.mts");
    writeFileSync(
      script,
      [
        `import { DeflateThreads } from ${JSON.stringify(join(import.meta.dirname, "deflate-threads.ts"))};`,
        "const pool = new DeflateThreads({ threads: 1 });",
        'pool.deflate("a".repeat(1000)).then((d) => console.log("deflated", d.deflated.length));',
      ].join("\n"),
    );
    const runTs = join(import.meta.dirname, "../../bin/run-ts.mjs");
    // the process must print the result (not exit with the job owed) and then end by itself
    const { stdout } = await promisify(execFile)(process.execPath, [runTs, script], { timeout: 30_000 });
    expect(stdout).toMatch(/^deflated \d+$/m);
  });
});
