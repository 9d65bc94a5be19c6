import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait";
import { pluginFixture } from "./plugin-fixture";

/**
 * Traffic plugins configured through a real CP, run by a DP in workerd against a real upstream:
 * request-termination, correlation-id, ip-restriction, request-size-limiting, rate-limiting, cors.
 */
describe("traffic plugins on the edge DP", () => {
  const f = pluginFixture("plugin-traffic");

  it("request-termination answers on a route without a service, and correlation-id tags both ways", async () => {
    expect((await f.admin("POST", "/routes", { name: "maintenance", paths: ["/maintenance"] })).status).toBe(
      201,
    );
    expect(
      (
        await f.admin("POST", "/routes/maintenance/plugins", {
          name: "request-termination",
          config: { status_code: 503, body: "<h1>back soon</h1>", content_type: "text/html" },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/plugins", {
          name: "correlation-id",
          config: { echo_downstream: true, generator: "uuid" },
        })
      ).status,
    ).toBe(201);
    await f.cp.publisher.schedule();
    // both plugins must have reached the DP (they may come in separate snapshots)
    const down = await waitFor("the maintenance answer with a correlation id", async () => {
      const r = await f.get("/maintenance");
      return r.status === 503 && r.headers.get("kong-request-id") ? r : undefined;
    });
    expect([down.status, down.text, down.headers.get("content-type")]).toEqual([
      503,
      "<h1>back soon</h1>",
      "text/html",
    ]);
    expect(down.headers.get("kong-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const tagged = await waitFor("correlation ids", async () => {
      const r = await f.get("/open/x");
      return r.headers.get("kong-request-id") ? r : undefined;
    });
    const id = tagged.headers.get("kong-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.upstream.seen.at(-1)?.headers["kong-request-id"]).toBe(id);
    const kept = await f.get("/open/x", { headers: { "kong-request-id": "mine" } });
    expect(kept.headers.get("kong-request-id")).toBe("mine");
  });

  it("ip-restriction refuses a denied client address, request-size-limiting an oversized body", async () => {
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "guarded", paths: ["/guarded"] })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/guarded/plugins", {
          name: "ip-restriction",
          config: { deny: ["0.0.0.0/0", "::/0"] },
        })
      ).status,
    ).toBe(201);
    const denied = await f.eventually(403, "/guarded/x");
    expect(denied.json().message).toMatch(/^IP address not allowed: /);

    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "small", paths: ["/small"] })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/small/plugins", {
          name: "request-size-limiting",
          config: { allowed_payload_size: 1, size_unit: "kilobytes" },
        })
      ).status,
    ).toBe(201);
    const big = await f.eventually(413, "/small/x", { method: "POST", body: "x".repeat(2000) });
    expect(big.json().message).toBe("Request size limit exceeded");
    const ok = await f.get("/small/x", { method: "POST", body: "x".repeat(500) });
    expect(ok.status).toBe(200);
    expect(f.upstream.seen.at(-1)?.body).toHaveLength(500);
  });

  it("rate-limiting: Kong's headers and 429, local counts per DP node, cluster counts shared, exact under concurrency", async () => {
    const route = async (name: string, config: Record<string, unknown>) => {
      expect((await f.admin("POST", "/services/echo/routes", { name, paths: [`/${name}`] })).status).toBe(
        201,
      );
      expect(
        (await f.admin("POST", `/routes/${name}/plugins`, { name: "rate-limiting", config })).status,
      ).toBe(201);
    };
    // created last, so that a DP serving its limit has the other two as well (snapshots are whole)
    await route("cluster-limit", { day: 3, limit_by: "ip", policy: "cluster" });
    await route("redis-limit", { day: 2, limit_by: "ip", policy: "redis" });
    await route("burst", { day: 10, limit_by: "ip", policy: "cluster" });
    await route("local-limit", { day: 3, limit_by: "ip", policy: "local" });
    await f.cp.publisher.schedule();
    // the route may reach the DP a moment before its plugin: wait for the plugin's headers
    const first = await waitFor("rate limits on the route", async () => {
      const r = await f.get("/local-limit/x");
      return r.headers.get("x-ratelimit-limit-day") ? r : undefined;
    });
    expect(first.headers.get("x-ratelimit-limit-day")).toBe("3");
    expect(first.headers.get("x-ratelimit-remaining-day")).toBe("2");
    expect(first.headers.get("ratelimit-limit")).toBe("3");
    expect(first.headers.get("ratelimit-reset")).toMatch(/^\d+$/);
    expect((await f.get("/local-limit/x")).headers.get("ratelimit-remaining")).toBe("1");
    expect((await f.get("/local-limit/x")).status).toBe(200);
    const limited = await f.get("/local-limit/x");
    expect(limited.status).toBe(429);
    expect(limited.json().message).toBe("API rate limit exceeded");
    expect(limited.headers.get("retry-after")).toBe(limited.headers.get("ratelimit-reset"));
    expect(limited.headers.get("x-ratelimit-remaining-day")).toBe("0");
    // another colo's DP node counts on its own under `local`...
    const elsewhere = (path: string) =>
      f.dp.mf.dispatchFetch(`${f.dp.url}${path}`, { cf: { colo: "elsewhere" } as never });
    expect((await elsewhere("/local-limit/x")).status).toBe(200);
    // ...and shares the count under `cluster`
    expect((await f.get("/cluster-limit/x")).status).toBe(200);
    expect((await elsewhere("/cluster-limit/x")).status).toBe(200);
    expect((await f.get("/cluster-limit/x")).status).toBe(200);
    expect((await elsewhere("/cluster-limit/x")).status).toBe(429);
    // `redis` (counts shared by every node in Kong) is the cluster's counter at the edge
    expect((await f.get("/redis-limit/x")).status).toBe(200);
    expect((await elsewhere("/redis-limit/x")).status).toBe(200);
    expect((await f.get("/redis-limit/x")).status).toBe(429);
    const burst = await Promise.all(Array.from({ length: 25 }, () => f.get("/burst/x")));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(10);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it("rate-limiting: a high limit is counted in leases of hits, and still never passed under concurrency from two colos", async () => {
    expect((await f.admin("POST", "/services/echo/routes", { name: "high", paths: ["/high"] })).status).toBe(
      201,
    );
    expect(
      (
        await f.admin("POST", "/routes/high/plugins", {
          name: "rate-limiting",
          config: { day: 200, limit_by: "header", header_name: "x-subject", policy: "cluster" },
        })
      ).status,
    ).toBe(201);
    await f.cp.publisher.schedule();
    await waitFor("the plugin on the route", async () => {
      const r = await f.get("/high/x", { headers: { "x-subject": "warm-up" } });
      return r.headers.get("x-ratelimit-limit-day") ? true : undefined;
    });
    let next = 0;
    const statuses: number[] = [];
    const remaining: number[] = [];
    const worker = async () => {
      while (next < 260) {
        const i = next++;
        const r = await f.dp.mf.dispatchFetch(`${f.dp.url}/high/x`, {
          headers: { "x-subject": "measured" },
          cf: { colo: i % 2 ? "elsewhere" : "local" } as never,
        });
        await r.arrayBuffer();
        statuses.push(r.status);
        if (r.status === 200) remaining.push(Number(r.headers.get("x-ratelimit-remaining-day")));
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(statuses.filter((s) => s === 429)).toHaveLength(60);
    // each hit has its own place in the count
    expect(new Set(remaining).size).toBe(200);
    expect(Math.min(...remaining)).toBe(0);
  });

  it("cors: answers a preflight at the edge and adds Kong's headers to the service's answers", async () => {
    expect((await f.admin("POST", "/services/echo/routes", { name: "cors", paths: ["/cors"] })).status).toBe(
      201,
    );
    expect(
      (
        await f.admin("POST", "/routes/cors/plugins", {
          name: "cors",
          config: { origins: ["https://app.example"], max_age: 60 },
        })
      ).status,
    ).toBe(201);
    await f.cp.publisher.schedule();
    const preflightInit = {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "PUT" },
    };
    // the route may reach the DP a moment before its plugin: wait for the plugin's answer
    const preflight = await waitFor("the preflight answered at the edge", async () => {
      const r = await f.get("/cors/x", preflightInit);
      return r.headers.get("access-control-allow-origin") ? r : undefined;
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-max-age")).toBe("60");
    const before = f.upstream.seen.length;
    await f.get("/cors/x", preflightInit);
    expect(f.upstream.seen.length).toBe(before); // the service never sees a preflight
    const simple = await f.get("/cors/x", { headers: { origin: "https://app.example" } });
    expect([
      simple.status,
      simple.headers.get("access-control-allow-origin"),
      simple.headers.get("vary"),
    ]).toEqual([200, "https://app.example", "Origin"]);
  });

  it("bot-detection: refuses crawlers and denied agents with Kong's 403, lets allowed ones and people through", async () => {
    const invalid = await f.admin("POST", "/plugins", {
      name: "bot-detection",
      config: { deny: ["(unclosed"] },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.fields).toEqual({ config: { deny: ["not a valid regex: (unclosed"] } });

    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "humans", paths: ["/humans"] })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/humans/plugins", {
          name: "bot-detection",
          config: { allow: ["^Mozilla/5\\.0 \\(compatible; Googlebot/"], deny: ["^EvilAgent/"] },
        })
      ).status,
    ).toBe(201);
    const as = (ua: string) => ({ headers: { "user-agent": ua } });
    const crawler = await f.eventually(
      403,
      "/humans/x",
      as("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"),
    );
    expect(crawler.json()).toMatchObject({ message: "Forbidden" });
    expect((await f.get("/humans/x", as("EvilAgent/1.0"))).status).toBe(403);
    expect((await f.get("/humans/x", as("Go-http-client/1.1"))).status).toBe(403);
    expect(
      (
        await f.get(
          "/humans/x",
          as("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        )
      ).status,
    ).toBe(200);
    expect((await f.get("/humans/x", as("curl/8.5.0"))).status).toBe(200);
    expect(
      (
        await f.get(
          "/humans/x",
          as(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          ),
        )
      ).status,
    ).toBe(200);
    // another route is not guarded
    expect((await f.get("/open/x", as("Go-http-client/1.1"))).status).toBe(200);
  });
});
