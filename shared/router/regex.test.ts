import { describe, expect, it } from "vitest";
import { literalPrefix, translateRegex } from "./regex";

describe("translateRegex (Rust regex syntax as Kong's router reads it, in JavaScript)", () => {
  it.each([
    ["/users/\\d+", "/users/\\d+"],
    ["/(?P<user>[^/]+)/posts", "/(?<user>[^/]+)/posts"],
    ["/(?<user>[^/]+)", "/(?<user>[^/]+)"],
    ["\\A/start", "^/start"],
    ["/end\\z", "/end$"],
    ["/caf\\x{e9}", "/caf\\u00e9"],
    ["/[]a]", "/[\\]a]"],
    ["/a{2,3}", "/a{2,3}"],
    ["/(?:a|b)*?", "/(?:a|b)*?"],
    ["/\\.json", "/\\.json"],
  ])("%s -> %s", (rust, js) => {
    expect(translateRegex(rust)).toEqual({ ok: true, value: js });
  });

  it.each([
    ["/(?=x)", /look-around/],
    ["/(?<!x)y", /look-around/],
    ["/(a)\\1", /backreferences/],
    ["(?i)/Users", /inline flags/],
    ["/\\p{L}+", /Unicode classes/],
    ["/[[:alpha:]]", /nested character classes/],
    ["/[a-z&&[^aeiou]]", /nested|set operations/],
    ["/a{", /literal '\{' must be escaped/],
    ["/a++", /possessive/],
    ["/(?>a)", /atomic/],
    ["/\\a", /escape \\a/],
    ["/[a", /unclosed/],
    ["/(a", /Unterminated group|unterminated/i],
  ])("refuses %s", (rust, why) => {
    const r = translateRegex(rust);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });

  it("matches as Rust does once anchored by the router", () => {
    const r = translateRegex("/(?P<id>\\d+)");
    const re = new RegExp(`^(?:${r.ok ? r.value : ""})`);
    expect(re.exec("/42/x")?.groups?.id).toBe("42");
    expect(re.exec("/x/42")).toBeNull();
  });
});

describe("literalPrefix", () => {
  it.each([
    ["/re1/(?<id>\\d+)$", "/re1/"],
    ["/users/\\d+", "/users/"],
    ["/ab?c", "/a"],
    ["/ab+c", "/ab"],
    ["/a\\.json", "/a.json"],
    ["/a|/b", ""],
    ["/(a|b)", "/"],
    ["^/x", ""],
    ["[/]x", ""],
    ["/x{2}", "/"],
  ])("%s starts with %j", (js, prefix) => {
    expect(literalPrefix(js)).toBe(prefix);
  });
});
