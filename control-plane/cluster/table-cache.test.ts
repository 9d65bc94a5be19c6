import { describe, expect, it } from "vitest";
import { ExportedEntity, TableCache } from "./exporter";

const row = (id: string) => new ExportedEntity(id, "1", { id });
// uuids' text in the order Postgres sorts them (bytewise): digits before letters
const ids = [
  "0a000000-0000-4000-8000-000000000000",
  "90000000-0000-4000-8000-000000000000",
  "a0000000-0000-4000-8000-000000000000",
  "a0000000-0000-4000-8000-00000000000f",
  "ff000000-0000-4000-8000-000000000000",
] as const;

describe("an exporter's table cache", () => {
  const cache = new TableCache([row(ids[0]), row(ids[2]), row(ids[3])]);

  it("matches ids listed in id order to its rows, undefined where it has none", () => {
    expect(cache.match(ids).map((e) => e?.id)).toEqual([ids[0], undefined, ids[2], ids[3], undefined]);
    expect(cache.match([ids[1], ids[4]])).toEqual([undefined, undefined]);
    expect(cache.match([])).toEqual([]);
  });

  it("matches ids listed out of order all the same", () => {
    expect(cache.match([ids[3], ids[0], ids[1], ids[2]]).map((e) => e?.id)).toEqual([
      ids[3],
      ids[0],
      undefined,
      ids[2],
    ]);
    // the same id twice is out of order too
    expect(cache.match([ids[2], ids[2]]).map((e) => e?.id)).toEqual([ids[2], ids[2]]);
  });
});
