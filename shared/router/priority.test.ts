import { describe, expect, it } from "vitest";
import { kongPriority, type PriorityInput } from "./priority";

/*
 * Priorities as Kong 3.10's kong/router/transform.lua `get_priority` returns them on x86-64,
 * obtained by running that function under LuaJIT 2.1: the values the ATC router orders by.
 */
const base: PriorityInput = {
  weight: 1,
  headerCount: 0,
  plainHostsOnly: false,
  regex: false,
  regexPriority: 0,
  prefixLength: 0,
};
const p = (over: Partial<PriorityInput>) => kongPriority({ ...base, ...over });

describe("kongPriority (traditional_compatible, as it runs)", () => {
  it.each([
    ["path /foo", { prefixLength: 4 }, 0x20000004n],
    ["plain host only", { plainHostsOnly: true }, 0x1000000020000000n],
    ["wildcard host only", {}, 0x20000000n],
    ["methods only", {}, 0x20000000n],
    ["one header", { headerCount: 1 }, 0x20100000n],
    ["two headers and /abc", { weight: 2, headerCount: 2, prefixLength: 4 }, 0x40200004n],
    ["regex, regex_priority 0", { regex: true }, 0x0008000020000000n],
    ["regex, regex_priority 1", { regex: true, regexPriority: 1 }, 0x0008000020080000n],
    ["regex, regex_priority -1", { regex: true, regexPriority: -1 }, 0x8008000020000000n],
    ["wildcard host, methods and /abc", { weight: 3, prefixLength: 4 }, 0x60000004n],
    [
      "plain host, methods and /abc",
      { weight: 3, plainHostsOnly: true, prefixLength: 4 },
      0x1000000060000004n,
    ],
    ["wildcard host, methods, /abc and a header", { weight: 4, headerCount: 1, prefixLength: 4 }, 1n << 63n],
    [
      "plain host, methods, /abc and a header",
      { weight: 4, plainHostsOnly: true, headerCount: 1, prefixLength: 4 },
      0x9000000000100004n,
    ],
  ] as Array<[string, Partial<PriorityInput>, bigint]>)("%s", (_name, over, expected) => {
    expect(p(over).toString(16)).toBe(expected.toString(16));
  });

  it("puts a plain host alone above a wildcard host with methods and a path, unlike Kong's documented layout", () => {
    expect(p({ plainHostsOnly: true })).toBeGreaterThan(p({ weight: 3, prefixLength: 10 }));
  });

  it("ties every prefix route of four or more fields, whatever its headers and path length", () => {
    expect(p({ weight: 4, headerCount: 1, prefixLength: 4 })).toBe(
      p({ weight: 5, headerCount: 3, prefixLength: 40 }),
    );
  });

  it("keeps only the low 13 bits of regex_priority", () => {
    expect(p({ regex: true, regexPriority: 8192 + 3 })).toBe(p({ regex: true, regexPriority: 3 }));
  });
});
