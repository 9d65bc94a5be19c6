import { describe, expect, it } from "vitest";
import type { Address, Handle } from "./address";
import { Balancer, type TargetEntity, type UpstreamEntity } from "./balancer";
import { valueToHash } from "./hash-value";

const upstream = (over: Partial<UpstreamEntity> = {}): UpstreamEntity => ({
  id: "u",
  name: "up",
  algorithm: "round-robin",
  hash_on: "none",
  hash_fallback: "none",
  slots: 10000,
  ...over,
});
const targets = (...specs: Array<[string, number]>): TargetEntity[] =>
  specs.map(([target, weight], i) => ({ id: `t${i}`, target, weight, upstream: "u" }));
const pick = (b: Balancer, value = "") => {
  const r = b.peer({ retries: 0 }, value);
  if ("error" in r) throw new Error(r.error);
  return `${r.host}:${r.port}`;
};
const tally = (b: Balancer, n: number, value: (i: number) => string = () => "") => {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const k = pick(b, value(i));
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

describe("round-robin (kong/runloop/balancer/round_robin.lua)", () => {
  it("serves each target in proportion to its weight, a whole wheel at a time", () => {
    const b = new Balancer(upstream(), targets(["a.test:80", 10], ["b.test:80", 20], ["c.test:81", 0]));
    expect(tally(b, 30)).toEqual({ "a.test:80": 10, "b.test:80": 20 });
  });

  it("skips a target health checks took out, and has no peer when none is left", () => {
    const b = new Balancer(upstream(), targets(["a.test:80", 1], ["b.test:80", 1]));
    (b.addresses[0] as Address).available = false;
    expect(tally(b, 4)).toEqual({ "b.test:80": 4 });
    (b.addresses[1] as Address).available = false;
    expect(b.peer({ retries: 0 }, "")).toEqual({ error: "failure to get a peer from the ring-balancer" });
  });

  it("moves to the next target on a retry", () => {
    const b = new Balancer(upstream(), targets(["a.test:80", 1], ["b.test:80", 1]));
    const handle: Handle = { retries: 0 };
    const first = b.peer(handle, "") as Address;
    const second = b.peer(handle, "") as Address;
    expect(handle.retries).toBe(1);
    expect(second.host).not.toBe(first.host);
  });
});

describe("consistent-hashing (kong/runloop/balancer/consistent_hashing.lua)", () => {
  const hashing = upstream({ algorithm: "consistent-hashing", hash_on: "header", hash_on_header: "x-user" });

  it("sends a value to the same target every time, and spreads values by weight", () => {
    const b = new Balancer(
      hashing,
      targets(["10.0.0.1:80", 100], ["10.0.0.2:80", 100], ["10.0.0.3:80", 200]),
    );
    expect(new Set(Array.from({ length: 20 }, () => pick(b, "user-42"))).size).toBe(1);
    const spread = tally(b, 4000, (i) => `user-${i}`);
    expect(spread["10.0.0.3:80"]).toBeGreaterThan(1500);
    expect(spread["10.0.0.1:80"]).toBeGreaterThan(600);
    expect(spread["10.0.0.2:80"]).toBeGreaterThan(600);
  });

  it("moves only the values of a target that goes away", () => {
    const three = new Balancer(
      hashing,
      targets(["10.0.0.1:80", 100], ["10.0.0.2:80", 100], ["10.0.0.3:80", 100]),
    );
    const two = new Balancer(hashing, targets(["10.0.0.1:80", 100], ["10.0.0.2:80", 100]));
    let moved = 0;
    for (let i = 0; i < 1000; i++) {
      const before = pick(three, `k${i}`);
      if (before !== "10.0.0.3:80" && pick(two, `k${i}`) !== before) moved++;
    }
    expect(moved).toBe(0);
  });
});

describe("least-connections (kong/runloop/balancer/least_connections.lua)", () => {
  it("picks the fewest connections per weight, and another target after a failure", () => {
    const b = new Balancer(
      upstream({ algorithm: "least-connections" }),
      targets(["a.test:80", 1], ["b.test:80", 3]),
    );
    const held: Handle[] = [];
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const h: Handle = { retries: 0 };
      const a = b.peer(h, "") as Address;
      held.push(h);
      picks.push(a.host);
    }
    expect(picks.filter((p) => p === "b.test")).toHaveLength(3);
    for (const h of held) b.report(h, { status: 200 });
    const h: Handle = { retries: 0 };
    const first = b.peer(h, "") as Address;
    const retry = b.peer(h, "") as Address;
    expect(retry.host).not.toBe(first.host);
  });
});

describe("passive health checks", () => {
  it("takes a target out after unhealthy.http_failures, and the balancer below the threshold", () => {
    const b = new Balancer(
      upstream({
        healthchecks: {
          threshold: 60,
          passive: {
            unhealthy: { http_statuses: [500, 503], http_failures: 2 },
            healthy: { http_statuses: [200] },
          },
        },
      }),
      targets(["a.test:80", 1], ["b.test:80", 1]),
    );
    const fail = (host: string) => {
      for (;;) {
        const h: Handle = { retries: 0 };
        const a = b.peer(h, "") as Address;
        if (a.host === host) return b.report(h, { status: 500 });
        b.report(h, { status: 200 });
      }
    };
    fail("a.test");
    expect(b.health().map((t) => t.health)).toEqual(["HEALTHY", "HEALTHY"]);
    fail("a.test");
    expect(b.health()).toEqual([
      { target: "a.test:80", weight: 1, health: "UNHEALTHY" },
      { target: "b.test:80", weight: 1, health: "HEALTHY" },
    ]);
    expect(b.healthy).toBe(false);
    expect(b.peer({ retries: 0 }, "")).toEqual({ error: "failure to get a peer from the ring-balancer" });
  });

  it("counts connection failures and timeouts against their own limits", () => {
    const b = new Balancer(
      upstream({ healthchecks: { passive: { unhealthy: { tcp_failures: 1, timeouts: 2 } } } }),
      targets(["a.test:80", 1]),
    );
    const h: Handle = { retries: 0 };
    b.peer(h, "");
    b.report(h, { error: "timeout" });
    expect(b.health()[0]?.health).toBe("HEALTHY");
    b.report(h, { error: "tcp" });
    expect(b.health()[0]?.health).toBe("UNHEALTHY");
  });
});

describe("valueToHash (kong/runloop/balancer/init.lua get_value_to_hash)", () => {
  const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });
  const inputs = {
    ip: "192.0.2.1",
    headers: headers({ "x-user": "ann", cookie: "a=1; sticky=abc" }),
    path: "/p",
    query: "b=2&a=x&a=y&flag",
  };
  const uuid = () => "11111111-2222-4333-8444-555555555555";
  const u = (over: Partial<UpstreamEntity>) => upstream({ algorithm: "consistent-hashing", ...over });

  it("reads each input Kong hashes on", () => {
    expect(valueToHash(u({ hash_on: "ip" }), inputs, uuid)).toEqual({ value: "192.0.2.1" });
    expect(valueToHash(u({ hash_on: "header", hash_on_header: "X-User" }), inputs, uuid)).toEqual({
      value: "ann",
    });
    expect(valueToHash(u({ hash_on: "cookie", hash_on_cookie: "sticky" }), inputs, uuid)).toEqual({
      value: "abc",
    });
    expect(valueToHash(u({ hash_on: "path" }), inputs, uuid)).toEqual({ value: "/p" });
    expect(valueToHash(u({ hash_on: "query_arg", hash_on_query_arg: "a" }), inputs, uuid)).toEqual({
      value: "x,y",
    });
    expect(valueToHash(u({ hash_on: "query_arg", hash_on_query_arg: "flag" }), inputs, uuid)).toEqual({
      value: "true",
    });
    expect(
      valueToHash(
        u({ hash_on: "uri_capture", hash_on_uri_capture: "id" }),
        { ...inputs, captures: { id: "7" } },
        uuid,
      ),
    ).toEqual({ value: "7" });
  });

  it("falls back, and hashes on nothing when neither has a value", () => {
    expect(valueToHash(u({ hash_on: "consumer", hash_fallback: "ip" }), inputs, uuid)).toEqual({
      value: "192.0.2.1",
    });
    expect(
      valueToHash(
        u({
          hash_on: "header",
          hash_on_header: "x-none",
          hash_fallback: "header",
          hash_fallback_header: "x-user",
        }),
        inputs,
        uuid,
      ),
    ).toEqual({ value: "ann" });
    expect(valueToHash(u({ hash_on: "header", hash_on_header: "x-none" }), inputs, uuid)).toEqual({
      value: "",
    });
  });

  it("makes the hashing cookie when the client has none, to be set on the response", () => {
    expect(
      valueToHash(u({ hash_on: "cookie", hash_on_cookie: "lb", hash_on_cookie_path: "/app" }), inputs, uuid),
    ).toEqual({
      value: "11111111-2222-4333-8444-555555555555",
      setCookie: "lb=11111111-2222-4333-8444-555555555555; Path=/app; Same-Site=Lax; HttpOnly",
    });
  });
});
