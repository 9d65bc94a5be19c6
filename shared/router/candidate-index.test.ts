import { describe, expect, it } from "vitest";
import { Bucket } from "./candidate-index";
import type { Matcher } from "./route-matcher";

const withPrefixes = (...prefixes: string[]) =>
  ({ paths: prefixes.map((prefix) => ({ prefix })) }) as Matcher;

describe("Bucket (path prefixes in a radix tree)", () => {
  // keys that share beginnings, end inside others' edges, and split edges when added later
  const keys = ["/abc", "/a", "/abd", "/ab", "/b", "/abcdef", "/x/y", "/x", "/", "/abc", "/é/ü"];
  const bucket = new Bucket();
  keys.forEach((k, rank) => {
    bucket.add(withPrefixes(k), rank);
  });
  bucket.add({ paths: undefined } as unknown as Matcher, keys.length);

  const candidates = (text: string) => {
    const lists: number[][] = [];
    bucket.collect(text, lists);
    return lists.flat().sort((a, b) => a - b);
  };

  it("finds exactly the matchers whose prefix begins the path, and those without paths", () => {
    const paths = [
      "/",
      "/a",
      "/ab",
      "/abc",
      "/abcd",
      "/abcdefg",
      "/abd/x",
      "/ac",
      "/b",
      "/x",
      "/x/",
      "/x/y/z",
      "",
      "q",
      "/é/üx",
    ];
    for (const text of paths) {
      const expected = keys.flatMap((k, rank) => (text.startsWith(k) ? [rank] : []));
      expected.push(keys.length);
      expect(candidates(text), text).toEqual(expected.sort((a, b) => a - b));
    }
  });

  it("keeps each list ascending, one entry per matcher even when two of its paths share a prefix", () => {
    const b = new Bucket();
    b.add(withPrefixes("/same", "/same"), 0);
    b.add(withPrefixes("/same"), 1);
    const lists: number[][] = [];
    b.collect("/same/thing", lists);
    expect(lists).toEqual([[0, 1]]);
  });
});
