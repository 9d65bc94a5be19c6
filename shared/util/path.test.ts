import { describe, expect, it } from "vitest";
import { escapePath, normalizePath } from "./path";

describe("normalizePath (kong/tools/uri.lua)", () => {
  it.each([
    ["/", "/"],
    ["/a/../b", "/b"],
    ["/a/./b", "/a/b"],
    ["/a//b", "/a/b"],
    ["/%7E", "/~"],
    ["/%2e%2E/x", "/x"],
    ["/a%2Fb", "/a%2Fb"],
    ["/a%2fb", "/a%2Fb"],
    ["/../../x", "/x"],
  ])("%s -> %s", (input, out) => {
    expect(normalizePath(input)).toBe(out);
  });
});

describe("escapePath", () => {
  it("escapes what Kong escapes and keeps the rest", () => {
    expect(escapePath("/a b/\u00e9")).toBe("/a%20b/%E9");
    expect(escapePath("/a:b@c!$&'()*+,;=~-._")).toBe("/a:b@c!$&'()*+,;=~-._");
  });
});
