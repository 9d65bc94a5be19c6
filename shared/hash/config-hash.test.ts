import { describe, expect, it } from "vitest";
import {
  calculateConfigHash,
  compareKeys,
  EMPTY_CONFIG_HASH,
  hashesApart,
  joinConfigHash,
  PrewrittenArray,
  type PrewrittenRun,
  prewriteRun,
  restHash,
} from "./config-hash";

/** Items as runs of prewritten items, cut after each index in `cuts`. */
function prewritten(items: readonly unknown[], cuts: readonly number[] = []): PrewrittenArray {
  const runs: PrewrittenRun[] = [];
  let start = 0;
  for (const cut of [...cuts, items.length]) {
    if (cut > start) runs.push(prewriteRun(items.slice(start, cut)));
    start = Math.max(start, cut);
  }
  return new PrewrittenArray(
    items.length,
    () => items,
    () => runs,
  );
}

import { luaNumber } from "./lua-number";

// Vectors from Kong's spec/01-unit/19-hybrid/02-clustering_spec.lua ("calculate_config_hash").
describe("calculateConfigHash (Kong's algorithm)", () => {
  it("hashes an empty config as Kong does", () => {
    expect(calculateConfigHash({}).config).toBe("2da3c26e4dbd6dd6ea3ab60a3dd7fb3e");
  });

  it("hashes empty routes, services and plugins as Kong does", () => {
    const h = calculateConfigHash({ routes: {}, services: {}, plugins: {} });
    expect(h.config).toBe("81aac97a81ad03c0cf0b36663806488e");
    expect(h.upstreams).toBe(EMPTY_CONFIG_HASH);
    expect(h.routes).toBe(h.services);
  });

  it("hashes empty upstreams and targets as Kong does", () => {
    expect(calculateConfigHash({ upstreams: {}, targets: {} }).config).toBe(
      "4d60dd9998ea4314039da5ca2f1db96f",
    );
  });

  it("hashes Kong's complex table to Kong's value", () => {
    const six = ["v1", "v2", "v3", "v4", "v5", "v6"];
    const plugins = [
      { name: "0", config: { param: "value" } },
      { name: "1", config: { param: six } },
      { name: "2", config: { param: six.slice(0, 5) } },
      { name: "3", config: { param: six.slice(0, 4) } },
      { name: "4", config: { param: six.slice(0, 3) } },
      { name: "5", config: { param: six.slice(0, 2) } },
      { name: "6", config: { param: six.slice(0, 1) } },
      { name: "7", config: { param: {} } },
      { name: "8", config: { param: "value", array: six } },
      {
        name: "9",
        config: {
          bool1: true,
          bool2: false,
          number: 1,
          double: 1.1,
          empty: {},
          null: null,
          string: "test",
          hash: { k: "v" },
          array: six,
        },
      },
    ];
    const consumers = Array.from({ length: 1000 }, (_, i) => ({ username: `user-${i + 1}` }));
    expect(calculateConfigHash({ plugins, consumers }).config).toBe("675ff4b6b1c8cefa5198284110786ad0");
  });

  it("gives Kong's per-type hashes for empty lists", () => {
    const h = calculateConfigHash({ routes: [], services: [], plugins: [] });
    expect(h.routes).toBe("99914b932bd37a50b983c5e7c90ae93b");
    expect(h.targets).toBe(EMPTY_CONFIG_HASH);
  });

  it("does not depend on key order", () => {
    const a = calculateConfigHash({ services: [{ host: "a", port: 80, name: "x" }], _format_version: "3.0" });
    const b = calculateConfigHash({ _format_version: "3.0", services: [{ name: "x", port: 80, host: "a" }] });
    expect(a).toEqual(b);
  });

  it("changes when any value changes", () => {
    const a = calculateConfigHash({ services: [{ host: "a", port: 80 }] });
    const b = calculateConfigHash({ services: [{ host: "a", port: 81 }] });
    expect(a.services).not.toBe(b.services);
    expect(a.config).not.toBe(b.config);
    expect(a.routes).toBe(b.routes);
  });

  it("folds the buffer past a megabyte, so huge configs still hash", () => {
    const services = Array.from({ length: 20_000 }, (_, i) => ({
      name: `service-${i}`,
      host: "h".repeat(80),
    }));
    const h = calculateConfigHash({ services });
    expect(h.services).toMatch(/^[0-9a-f]{32}$/);
    services[19_999] = { name: "service-19999", host: "other" };
    expect(calculateConfigHash({ services }).services).not.toBe(h.services);
  });
});

describe("a config hashed in two parts", () => {
  const config = {
    services: [{ name: "s", host: "a", port: 80 }],
    routes: [{ name: "r", paths: ["/"] }],
    consumers: [{ username: "u" }],
    keyauth_credentials: [{ key: "k", consumer: { id: "c" } }],
    _format_version: "3.0",
  };

  it("joins the parts, each made from its own types alone, to the whole config's hash", () => {
    const { services, routes, ...others } = config;
    const joined = joinConfigHash(hashesApart({ services, routes }), restHash(others));
    expect(joined).toEqual(calculateConfigHash(config));
  });

  it("reads only its own types: the rest's hash ignores a route, the types apart ignore a consumer", () => {
    const routeChanged = { ...config, routes: [{ name: "r", paths: ["/other"] }] };
    const consumerChanged = { ...config, consumers: [{ username: "v" }] };
    expect(restHash(routeChanged)).toBe(restHash(config));
    expect(hashesApart(consumerChanged)).toEqual(hashesApart(config));
    expect(restHash(consumerChanged)).not.toBe(restHash(config));
    expect(hashesApart(routeChanged).routes).not.toBe(hashesApart(config).routes);
  });
});

describe("luaNumber (%.14g)", () => {
  it.each([
    [80, "80"],
    [0, "0"],
    [-3, "-3"],
    [1.5, "1.5"],
    [0.1, "0.1"],
    [1e14, "1e+14"],
    [123456789012345, "1.2345678901234e+14"],
    [123456789012355, "1.2345678901236e+14"],
    [5e-15, "5e-15"],
    [0.00001, "1e-05"],
    [0.0001, "0.0001"],
    [1 / 3, "0.33333333333333"],
  ])("formats %d as %s", (n, text) => {
    expect(luaNumber(n)).toBe(text);
  });
});

describe("compareKeys (Lua's byte order of UTF-8 keys)", () => {
  it("orders by code point, also where UTF-16 code units would not", () => {
    const keys = ["😀", "\uE000", "b", "a", "ab", "é", "😁"];
    expect([...keys].sort(compareKeys)).toEqual(["a", "ab", "b", "é", "\uE000", "😀", "😁"]);
    const bytes = (s: string) => Array.from(new TextEncoder().encode(s));
    const byBytes = [...keys].sort((x, y) => {
      const a = bytes(x);
      const b = bytes(y);
      for (let i = 0; i < Math.min(a.length, b.length); i++)
        if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
      return a.length - b.length;
    });
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
  });
});

describe("calculateConfigHash with another MD5", () => {
  it("gives the same hashes with a runtime's MD5 as with the portable one, non-ASCII values included", async () => {
    const { createHash } = await import("node:crypto");
    const config = {
      _format_version: "3.0",
      services: Array.from({ length: 3000 }, (_, i) => ({
        id: `s${i}`,
        name: `svc-${i}`,
        tags: ["ünï", "🚀", "a".repeat(70)],
      })),
    };
    const native = (b: Uint8Array) => new Uint8Array(createHash("md5").update(b).digest());
    expect(calculateConfigHash(config, native)).toEqual(calculateConfigHash(config));
  });
});

describe("calculateConfigHash over prewritten entities", () => {
  /** Entities of many sizes, nested arrays short and long, so that folds fall inside entities. */
  const entity = (i: number) => ({
    id: `e-${i}`,
    name: `entity-${i}`,
    enabled: i % 3 !== 0,
    weight: i / 7,
    tags: i % 4 ? ["a", "b"] : Array.from({ length: 7 }, (_, j) => `t${j}`),
    config: { blob: "x".repeat((i * 7919) % 5000), nested: [{ k: i }, null, [1, 2, 3, 4, 5, 6]] },
    service: i % 2 ? { id: `s-${i}` } : null,
  });

  it("gives the hashes of the plain config, folds inside entities included, however the runs are cut", () => {
    const config: Record<string, unknown> = {
      _format_version: "3.0",
      services: Array.from({ length: 900 }, (_, i) => entity(i)),
      routes: Array.from({ length: 4 }, (_, i) => entity(i + 5000)),
      consumers: Array.from({ length: 700 }, (_, i) => entity(i + 9000)),
    };
    // the fixture is large enough to fold many times, at many offsets
    expect(JSON.stringify(config).length).toBeGreaterThan(3_000_000);
    const plain = calculateConfigHash(config);
    const cuttings = [
      (n: number) => Array.from({ length: n }, (_, i) => i), // a run for each item
      (n: number) => Array.from({ length: Math.ceil(n / 7) }, (_, i) => i * 7),
      (n: number) => Array.from({ length: Math.ceil(n / 256) }, (_, i) => i * 256),
      () => [], // one run
    ];
    for (const cut of cuttings) {
      const runs = Object.fromEntries(
        Object.entries(config).map(([k, v]) => [k, Array.isArray(v) ? prewritten(v, cut(v.length)) : v]),
      );
      expect(calculateConfigHash(runs)).toEqual(plain);
    }
    // and a change to one entity changes the hash its runs give
    const consumers = [...(config.consumers as unknown[])];
    consumers[350] = { ...entity(9350), name: "changed" };
    expect(calculateConfigHash({ ...config, consumers: prewritten(consumers, [256, 512]) }).config).not.toBe(
      plain.config,
    );
  });

  it("writes an item larger than a fold afresh, and a run larger than one item by item", () => {
    const huge = { blob: "y".repeat(2_500_000), n: 1 };
    const services = [entity(1), entity(2), huge, entity(3), entity(4), entity(5), entity(6)];
    for (const cuts of [[], [2, 3], [3]]) {
      expect(calculateConfigHash({ services: prewritten(services, cuts) })).toEqual(
        calculateConfigHash({ services }),
      );
    }
  });

  it("writes every kind of value as writing it in the hash does: text, numbers, nesting, odd strings", () => {
    const odd = {
      "clé ünïcode": "値 ✓ 🎉",
      lone: "a\uD800b",
      pairSplit: ["\uD83D", "\uDE00"],
      "\uDC00key": "\uDBFF",
      numbers: [0, -0, 1.5, 1e21, 2 ** 53, Number.MIN_VALUE, 123456789.125, 1 / 3],
      flags: [true, false, null],
      empty: { list: [], map: {}, nothing: undefined },
      long: Array.from({ length: 8 }, (_, i) => ({ i, s: `x${i}` })),
      short: [[1, [2, [3]]], { z: 1, a: 2 }],
    };
    // not ASCII: each item is measured alone; a fold falls inside runs of them at other offsets
    const consumers = Array.from({ length: 9000 }, (_, i) =>
      i % 3 ? odd : { i, blob: "z".repeat(i % 200) },
    );
    for (const cuts of [[], [1, 2, 3, 4, 5, 6, 7], Array.from({ length: 90 }, (_, i) => i * 100)]) {
      expect(calculateConfigHash({ consumers: prewritten(consumers, cuts) })).toEqual(
        calculateConfigHash({ consumers }),
      );
    }
  });

  it("writes five items or fewer as Kong unrolls them, and an array in another", () => {
    const few = [entity(1), { a: "ü" }, entity(2)];
    expect(calculateConfigHash({ services: prewritten(few, [1]) })).toEqual(
      calculateConfigHash({ services: few }),
    );
    expect(calculateConfigHash({ services: prewritten([]) })).toEqual(calculateConfigHash({ services: [] }));
    const inner = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ n, s: "ü".repeat(n) }));
    expect(calculateConfigHash({ x: [{ y: prewritten(inner, [3]) }] })).toEqual(
      calculateConfigHash({ x: [{ y: inner }] }),
    );
  });
});

describe("calculateConfigHash over many key orders", () => {
  it("writes each object's own keys, sorted, whatever shapes came before", () => {
    // each item's bytes, followed by ";"
    const text = (v: unknown) => {
      const run = prewriteRun([v]);
      expect(run.ends[0]).toBe(run.bytes.length - 1);
      return new TextDecoder().decode(run.bytes.subarray(0, -1));
    };
    expect(text({ b: 2, a: 1 })).toBe("a:1;b:2;");
    expect(text({ d: 4, c: 3 })).toBe("c:3;d:4;");
    expect(text({ b: 2, a: undefined })).toBe("b:2;");
    expect(text({ a: undefined })).toBe("{}");
    expect(text({ b: { y: 1, x: [1, 2] }, a: 1 })).toBe("a:1;b:x:1;2;y:1;;");
  });

  it("hashes an object the same whatever the order of its keys, over more shapes than it remembers", () => {
    const keys = Array.from({ length: 12 }, (_, i) => `k${String.fromCharCode(97 + ((i * 7) % 12))}${i}`);
    const shuffled = (seed: number) =>
      [...keys].sort((a, b) => ((a.charCodeAt(1) * seed) % 13) - ((b.charCodeAt(1) * seed) % 13));
    const build = (order: string[], n: number) =>
      Object.fromEntries(order.map((k) => [k, k.endsWith("0") || k.endsWith("5") ? undefined : `${k}-${n}`]));
    for (let n = 0; n < 30; n++) {
      const inOrder = build([...keys].sort(), n);
      const other = build(shuffled(n + 2), n);
      expect(calculateConfigHash({ services: [other, other] })).toEqual(
        calculateConfigHash({ services: [inOrder, inOrder] }),
      );
    }
  });
});
