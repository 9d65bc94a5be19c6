import { describe, expect, it } from "vitest";
import { gzip } from "../util/bytes";
import { coldBytes, readCold } from "./cold";

async function readAll(lines: string[]) {
  const raw = coldBytes(lines);
  const read: Array<[string, Record<string, unknown>]> = [];
  const result = await readCold(await gzip(raw), raw.length, (type, entity) => {
    read.push([type, entity]);
  });
  return { result, read };
}

describe("readCold", () => {
  it("reads lines far longer than the inflated pieces they come in, and short ones between", async () => {
    // lines of 3 MiB arrive in many pieces; short lines end inside pieces
    const long = (i: number) => ({ id: `long-${i}`, tags: [String(i).repeat(3 * 1024 * 1024)] });
    const entities = [long(1), { id: "short-1" }, { id: "short-2" }, long(2), { id: "short-3" }, long(3)];
    const { result, read } = await readAll(entities.map((e) => JSON.stringify(["consumers", e])));
    expect(result).toEqual({ entities: entities.length });
    expect(read.map(([, e]) => e.id)).toEqual(entities.map((e) => e.id));
    expect(
      read.every(([type, e], i) => type === "consumers" && JSON.stringify(e) === JSON.stringify(entities[i])),
    ).toBe(true);
  });

  it("refuses a line that is not a cold entity, wherever it falls", async () => {
    const good = JSON.stringify(["consumers", { id: "a", tags: ["x".repeat(200_000)] }]);
    expect((await readAll([good, "not json"])).result).toEqual({ error: "a cold entity is not JSON" });
    expect((await readAll([good, JSON.stringify(["routes", {}])])).result).toEqual({
      error: "a cold entity has no known type",
    });
  });
});
