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

  it("request-transformer: JSON and form bodies changed, with the new length; other bodies as they came", async () => {
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "rebody", paths: ["/rebody"] })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/rebody/plugins", {
          name: "request-transformer",
          config: {
            remove: { body: ["password"] },
            rename: { body: ["user:username"] },
            replace: { body: ["mode:$(headers.x-mode)", "absent:x"] },
            add: { body: ["source:edge", "mode:never"] },
            append: { body: ["tags:new"] },
          },
        })
      ).status,
    ).toBe(201);
    const post = (type: string, body: string) =>
      f.get("/rebody/x", { method: "POST", headers: { "content-type": type, "x-mode": "fast" }, body });
    const json = await waitFor("the transformed JSON body", async () => {
      const r = await post(
        "application/json",
        JSON.stringify({ user: "ann", password: "p", mode: "slow", tags: ["a"] }),
      );
      return r.status === 200 && r.json().body.includes("source") ? r.json() : undefined;
    });
    expect(JSON.parse(json.body)).toEqual({
      username: "ann",
      mode: "fast",
      tags: ["a", "new"],
      source: "edge",
    });
    expect(Number(json.headers["content-length"])).toBe(new TextEncoder().encode(json.body).length);

    const form = (await post("application/x-www-form-urlencoded", "user=bob&password=p&tags=a")).json();
    expect(Object.fromEntries(new URLSearchParams(form.body))).toMatchObject({
      username: "bob",
      source: "edge",
    });
    expect(new URLSearchParams(form.body).getAll("tags")).toEqual(["a", "new"]);
    expect(new URLSearchParams(form.body).has("password")).toBe(false);

    const text = (await post("text/plain", "password=p")).json();
    expect(text.body).toBe("password=p");
    const broken = (await post("application/json", "{not json")).json();
    expect(broken.body).toBe("{not json");
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

  it("prometheus: the DP's per-request metrics served on the CP's /metrics, labelled with the DP's node id", async () => {
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "metered", paths: ["/metered"] })).status,
    ).toBe(201);
    const all = {
      per_consumer: true,
      status_code_metrics: true,
      latency_metrics: true,
      bandwidth_metrics: true,
    };
    expect(
      (await f.admin("POST", "/routes/metered/plugins", { name: "prometheus", config: all })).status,
    ).toBe(201);
    // written last, so a config that has key-auth has the prometheus plugin too
    expect((await f.admin("POST", "/routes/metered/plugins", { name: "key-auth" })).status).toBe(201);
    await f.eventually(401, "/metered/a");
    const ok = { headers: { apikey: "ann-key" } };
    expect((await f.get("/metered/a", ok)).status).toBe(200);
    expect((await f.get("/metered/b", { ...ok, method: "POST", body: "x".repeat(100) })).status).toBe(200);
    expect((await f.get("/open/unmetered")).status).toBe(200);

    const dps = (await f.admin("GET", "/clustering/data-planes")).json.data as Array<{ id: string }>;
    expect(dps).toHaveLength(1);
    const node = dps[0]?.id;
    const metric = (text: string, series: string) =>
      text
        .split("\n")
        .find((l) => l.startsWith(`${series} `))
        ?.slice(series.length + 1);
    const ann = `service="echo",route="metered",code="200",source="service",workspace="default",consumer="ann",node_id="${node}"`;
    const text = await waitFor(
      "the DP's metrics on the CP",
      async () => {
        const r = await fetch(`${f.cp.adminUrl}/metrics`);
        const body = await r.text();
        return metric(body, `kong_http_requests_total{${ann}}`) === "2" ? { r, body } : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(text.r.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    const body = text.body;
    // the 401s came from Kong itself, with no consumer
    const denied = metric(
      body,
      `kong_http_requests_total{service="echo",route="metered",code="401",source="kong",workspace="default",consumer="",node_id="${node}"}`,
    );
    expect(Number(denied)).toBeGreaterThanOrEqual(1);
    // every request of the route is in one latency observation (a config may have reached the
    // isolate with the prometheus plugin a moment before key-auth: those requests count too)
    const requests = (filter: string) =>
      body
        .split("\n")
        .filter(
          (l) =>
            l.startsWith('kong_http_requests_total{service="echo",route="metered",') && l.includes(filter),
        )
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    const route = `service="echo",route="metered",workspace="default",node_id="${node}"`;
    expect(Number(metric(body, `kong_request_latency_ms_count{${route}}`))).toBe(requests(""));
    expect(requests("")).toBeGreaterThanOrEqual(2 + Number(denied));
    expect(metric(body, `kong_request_latency_ms_bucket{${route},le="+Inf"}`)).toBe(
      metric(body, `kong_request_latency_ms_count{${route}}`),
    );
    expect(Number(metric(body, `kong_upstream_latency_ms_count{${route}}`))).toBe(
      requests('source="service"'),
    );
    expect(
      metric(
        body,
        `kong_bandwidth_bytes{service="echo",route="metered",direction="ingress",workspace="default",consumer="ann",node_id="${node}"}`,
      ),
    ).toBe("100");
    expect(body).toContain("# TYPE kong_kong_latency_ms histogram");
    expect(body).not.toContain('route="open"');
    // the CP's own gauges, as Kong's exporter writes them
    expect(metric(body, "kong_datastore_reachable")).toBe("1");
    expect(body).toMatch(
      new RegExp(`^kong_data_plane_last_seen\\{node_id="${node}",hostname="[^"]+",ip="[^"]+"\\} \\d+$`, "m"),
    );
    expect(body).toMatch(new RegExp(`^kong_data_plane_version_compatible\\{node_id="${node}",.*\\} 1$`, "m"));
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
