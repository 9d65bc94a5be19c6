import { describe, expect, it } from "vitest";
import { type CacheKey, MatchCache, MISSING } from "./match-cache";

/** Asks for `key` and, when it is not held, keeps `answer` for it (as the router does). */
function ask(cache: MatchCache, key: CacheKey, answer: number): number {
  const held = cache.get(key);
  if (held === MISSING) cache.set(key, answer);
  return held;
}

describe("MatchCache", () => {
  it("answers what was kept for a key, field by field, including 'no route' (-1)", () => {
    const cache = new MatchCache(100, 3);
    expect(ask(cache, ["GET", "/a", 80], 7)).toBe(MISSING);
    expect(cache.get(["GET", "/a", 80])).toBe(7);
    expect(ask(cache, ["GET", "/none", 80], -1)).toBe(MISSING);
    expect(cache.get(["GET", "/none", 80])).toBe(-1);
    // the same text cut differently, another number, null and "" are other keys
    expect(cache.get(["GE", "T/a", 80])).toBe(MISSING);
    expect(cache.get(["GET", "/a", 443])).toBe(MISSING);
    expect(ask(cache, ["GET", null, 80], 3)).toBe(MISSING);
    expect(cache.get(["GET", "", 80])).toBe(MISSING);
    expect(cache.get(["GET", null, 80])).toBe(3);
  });

  it("replaces the least recently used answer of a full set", () => {
    const cache = new MatchCache(4, 1); // one set of four
    for (let i = 0; i < 4; i++) ask(cache, [`/k/${i}`], i);
    expect(cache.get(["/k/0"])).toBe(0); // used again: /k/1 is now the least recent
    ask(cache, ["/k/4"], 4);
    expect(cache.get(["/k/1"])).toBe(MISSING);
    expect([0, 2, 3, 4].map((i) => cache.get([`/k/${i}`]))).toEqual([0, 2, 3, 4]);
  });

  it("holds about its size, and a key never answers what another kept", () => {
    const size = 4000;
    const cache = new MatchCache(size, 2);
    const key = (i: number): CacheKey => ["svc.example.test", `/api/${i}`];
    for (let i = 0; i < size; i++) ask(cache, key(i), i);
    // keys spread over sets of four by their hash: some sets fill before the cache does
    const held = Array.from({ length: size }, (_, i) => cache.get(key(i))).filter((a) => a !== MISSING);
    expect(held.length).toBeGreaterThan(size * 0.75);
    for (let i = 0; i < size * 3; i++) ask(cache, key(i), i);
    for (let i = 0; i < size * 3; i++) expect([MISSING, i]).toContain(cache.get(key(i)));
  });

  it("answers fresh copies of the same strings", () => {
    const cache = new MatchCache(10, 2);
    const path = ["/a", "b"].join("/");
    ask(cache, ["h.test", path], 5);
    expect(cache.get(["h.test", JSON.parse(JSON.stringify(path))])).toBe(5);
  });
});
