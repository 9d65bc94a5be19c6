import { describe, expect, it } from "vitest";
import { HeaderMap } from "./header-map";

describe("HeaderMap", () => {
  it("treats names as Headers does: any case, one value, lower-cased when listed", () => {
    const h = new HeaderMap();
    h.set("X-RateLimit-Limit-Second", "10");
    h.set("x-ratelimit-limit-second", "20");
    h.set("Retry-After", "1");
    expect(h.get("X-RATELIMIT-LIMIT-SECOND")).toBe("20");
    expect(h.has("retry-after")).toBe(true);
    h.delete("RETRY-AFTER");
    expect(h.get("retry-after")).toBeNull();
    const listed: [string, string][] = [];
    h.forEach((value, name) => {
      listed.push([name, value]);
    });
    expect(listed).toEqual([["x-ratelimit-limit-second", "20"]]);
  });

  it("gives a Headers the same result as a Headers would", () => {
    const ours = new HeaderMap();
    const theirs = new Headers();
    for (const h of [ours, theirs]) {
      h.set("X-Cache-Status", "Hit");
      h.set("X-Correlation-ID", "abc");
      h.delete("x-cache-status");
    }
    const a = new Headers();
    const b = new Headers();
    ours.forEach((v, n) => {
      a.set(n, v);
    });
    theirs.forEach((v, n) => {
      b.set(n, v);
    });
    expect([...a]).toEqual([...b]);
  });
});
