import { describe, expect, it } from "vitest";
import { xxhash32 } from "./xxhash32";

const h = (s: string) => xxhash32(new TextEncoder().encode(s)).toString(16).padStart(8, "0");

describe("xxhash32 (seed 0)", () => {
  it("gives the specification's reference values", () => {
    expect(h("")).toBe("02cc5d05");
    expect(h("a")).toBe("550d7456");
    expect(h("abc")).toBe("32d153ff");
    expect(h("Nobody inspects the spammish repetition")).toBe("e2293b2f");
  });
});
