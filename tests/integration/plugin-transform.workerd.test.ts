import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait";
import { pluginFixture } from "./plugin-fixture";

/**
 * Plugins that change, keep or log traffic, configured through a real CP and run by a DP in
 * workerd against a real upstream: request- and response-transformer, proxy-cache, http-log.
 */
describe("transformation, caching and logging plugins on the edge DP", () => {
  const f = pluginFixture("plugin-transform");

  it("request-transformer: headers and query string changed in Kong's order, with templates, method and path", async () => {
    expect(
      (
        await f.admin("POST", "/services/echo/routes", {
          name: "transform",
          paths: ["~/transform/(?<user>\\w+)"],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/transform/plugins", {
          name: "request-transformer",
          config: {
            http_method: "PUT",
            remove: { headers: ["x-secret"], querystring: ["drop"] },
            rename: { headers: ["x-old:x-new"] },
            replace: { querystring: ["mode:$(headers.x-mode)"], uri: "/users/$(uri_captures.user)" },
            add: { headers: ["x-user:$(uri_captures.user)", "x-kept:no"], querystring: ["added:1"] },
            append: { headers: ["x-multi:b"] },
          },
        })
      ).status,
    ).toBe(201);
    // the route may reach the DP a moment before its plugin: wait for the transformation
    const seen = await waitFor("the transformed request", async () => {
      const r = await f.get("/transform/ann?drop=1&mode=old&keep=2", {
        headers: { "x-secret": "s", "x-old": "o", "x-mode": "fast", "x-kept": "yes", "x-multi": "a" },
      });
      return r.status === 200 && r.json().method === "PUT" ? r.json() : undefined;
    });
    const url = new URL(seen.url, "http://x");
    expect(url.pathname).toBe("/users/ann");
    expect(Object.fromEntries(url.searchParams)).toEqual({ mode: "fast", keep: "2", added: "1" });
    expect(seen.headers).toMatchObject({ "x-new": "o", "x-user": "ann", "x-kept": "yes", "x-multi": "a, b" });
    expect(seen.headers["x-secret"]).toBeUndefined();
    expect(seen.headers["x-old"]).toBeUndefined();
  });

  it("response-transformer: response headers and the keys of a JSON body", async () => {
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "reshape", paths: ["/reshape"] })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/reshape/plugins", {
          name: "response-transformer",
          config: {
            remove: { headers: ["x-upstream"], json: ["headers"] },
            rename: { json: ["url:path"] },
            add: {
              headers: ["x-added:yes"],
              json: ["version:2", "flag:true"],
              json_types: ["number", "boolean"],
            },
            append: { json: ["method:again"] },
          },
        })
      ).status,
    ).toBe(201);
    await f.cp.publisher.schedule();
    const reshaped = await waitFor("the reshaped response", async () => {
      const r = await f.get("/reshape/x");
      return r.headers.get("x-added") ? r : undefined;
    });
    expect(reshaped.headers.get("x-upstream")).toBeNull();
    expect(reshaped.json()).toEqual({
      method: ["GET", "again"],
      path: "/x",
      body: "",
      version: 2,
      flag: true,
    });
  });

  it("http-log: Kong's log entries sent off the request path, one by one or in batches", async () => {
    const { createServer } = await import("node:http");
    const received: Array<{ method?: string; type?: string; body: unknown }> = [];
    const collector = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push({ method: req.method, type: req.headers["content-type"], body: JSON.parse(body) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => collector.listen(0, "127.0.0.1", () => r()));
    const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}/logs`;
    try {
      expect(
        (await f.admin("POST", "/services/echo/routes", { name: "logged", paths: ["/logged"] })).status,
      ).toBe(201);
      expect((await f.admin("POST", "/routes/logged/plugins", { name: "key-auth" })).status).toBe(201);
      expect(
        (
          await f.admin("POST", "/routes/logged/plugins", {
            name: "http-log",
            config: { http_endpoint: endpoint, method: "PUT" },
          })
        ).status,
      ).toBe(201);
      await f.eventually(401, "/logged/x");
      // http-log may reach the DP a snapshot after key-auth: ask until a 200 is logged
      const entry = await waitFor("the 200's log entry", async () => {
        await f.get("/logged/x?q=1", { headers: { apikey: "ann-key" } });
        return received.find((r) => (r.body as { response: { status: number } }).response?.status === 200);
      });
      expect(entry.method).toBe("PUT");
      expect(entry.type).toBe("application/json");
      expect(entry.body).toMatchObject({
        request: { method: "GET", uri: "/logged/x?q=1", querystring: { q: "1" } },
        upstream_uri: "/x?q=1",
        response: { status: 200 },
        tries: 1,
        consumer: { username: "ann" },
        route: { name: "logged" },
        source: "upstream",
      });
      expect((entry.body as { request: { headers: { apikey: string } } }).request.headers.apikey).toBe(
        "ann-key",
      );
      // a request key-auth refused is logged too, as Kong logs every request
      const refused = await waitFor("the 401's log entry", async () => {
        await f.get("/logged/x");
        return received.find((r) => (r.body as { response: { status: number } }).response?.status === 401);
      });
      expect(refused.body).toMatchObject({ source: "kong", response: { status: 401 } });

      const plugin = (await f.admin("GET", "/routes/logged/plugins")).json.data.find(
        (p: { name: string }) => p.name === "http-log",
      );
      expect(
        (
          await f.admin("PATCH", `/plugins/${plugin.id}`, {
            config: { queue: { max_batch_size: 3, max_coalescing_delay: 0.3 } },
          })
        ).status,
      ).toBe(200);
      await f.cp.publisher.schedule();
      const batch = await waitFor("a batch of three", async () => {
        await f.get("/logged/batch", { headers: { apikey: "ann-key" } });
        return received.find((r) => Array.isArray(r.body) && r.body.length === 3);
      });
      expect(
        (batch.body as Array<{ request: { uri: string } }>).every((e) => e.request.uri === "/logged/batch"),
      ).toBe(true);
    } finally {
      collector.close();
    }
  });

  it("proxy-cache: a Miss stored in the edge cache, then Hits with Age, Bypass for other methods", async () => {
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "cached", paths: ["/cached"] })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/cached/plugins", {
          name: "proxy-cache",
          config: { strategy: "memory", content_type: ["application/json"], cache_ttl: 60 },
        })
      ).status,
    ).toBe(201);
    await f.cp.publisher.schedule();
    const miss = await waitFor("proxy-cache on the route", async () => {
      const r = await f.get("/cached/a?x=1");
      return r.headers.get("x-cache-status") === "Miss" ? r : undefined;
    });
    const key = miss.headers.get("x-cache-key");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const served = f.upstream.seen.length;
    const hit = await waitFor("a hit", async () => {
      const r = await f.get("/cached/a?x=1");
      return r.headers.get("x-cache-status") === "Hit" ? r : undefined;
    });
    expect(hit.headers.get("x-cache-key")).toBe(key);
    expect(hit.headers.get("age")).toMatch(/^\d+$/);
    expect(hit.text).toBe(miss.text);
    expect(f.upstream.seen.length).toBe(served); // the service was not asked again
    expect((await f.get("/cached/a?x=2")).headers.get("x-cache-status")).toBe("Miss");
    expect((await f.get("/cached/a", { method: "POST", body: "{}" })).headers.get("x-cache-status")).toBe(
      "Bypass",
    );
  });
});
