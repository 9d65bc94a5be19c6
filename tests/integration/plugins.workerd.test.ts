import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalDp } from "../../cli/local-dp";
import type { ControlPlane } from "../../control-plane/node/control-plane";
import { type Hybrid, startHybrid } from "../helpers/hybrid";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * Plugins configured through the Admin API of a real CP, run by a DP in workerd against a real
 * upstream: key-auth, request-termination, correlation-id, and Kong's scope precedence.
 */
describe("plugins on the edge DP, configured through the Admin API", () => {
  let hybrid: Hybrid;
  let cp: ControlPlane;
  let dp: LocalDp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${cp.adminUrl}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, json: r.status === 204 ? null : await r.json() };
  };
  const get = async (path: string, init?: RequestInit) => {
    const r = await fetch(`${dp.url}${path}`, init);
    const text = await r.text();
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
  };
  /**
   * The answer to a request once the DP's isolate has the CP's current config: isolates pick up a
   * new config off the request path, so the request is repeated until it gets `status`.
   */
  const eventually = async (status: number, path: string, init?: RequestInit) => {
    await cp.publisher.schedule(); // a snapshot with every write so far
    return waitFor(`${path} to answer ${status}`, async () => {
      const r = await get(path, init);
      return r.status === status ? r : undefined;
    });
  };

  beforeAll(async () => {
    hybrid = await startHybrid("plugins");
    ({ cp, dp } = hybrid);
    upstream = await startUpstream();
    expect((await admin("POST", "/services", { name: "echo", url: upstream.url })).status).toBe(201);
    expect((await admin("POST", "/services/echo/routes", { name: "open", paths: ["/open"] })).status).toBe(
      201,
    );
    expect(
      (await admin("POST", "/services/echo/routes", { name: "locked", paths: ["/locked"] })).status,
    ).toBe(201);
    expect((await admin("POST", "/consumers", { username: "ann", custom_id: "c-1" })).status).toBe(201);
    expect((await admin("POST", "/consumers", { username: "bob" })).status).toBe(201);
    expect((await admin("POST", "/consumers/ann/key-auth", { key: "ann-key" })).status).toBe(201);
    expect((await admin("POST", "/consumers/bob/key-auth", { key: "bob-key" })).status).toBe(201);
  });

  afterAll(async () => {
    await hybrid?.close();
    await upstream?.close();
  });

  it("key-auth: refuses without a key and with a wrong one, lets a consumer in with Kong's headers", async () => {
    expect(
      (
        await admin("POST", "/routes/locked/plugins", {
          name: "key-auth",
          config: { hide_credentials: true },
        })
      ).status,
    ).toBe(201);
    const none = await eventually(401, "/locked/x");
    expect(none.json()).toEqual({
      message: "No API key found in request",
      request_id: none.headers.get("x-kong-request-id"),
    });
    expect(none.headers.get("www-authenticate")).toBe("Key");
    const wrong = await get("/locked/x", { headers: { apikey: "nope" } });
    expect([wrong.status, wrong.json().message]).toEqual([401, "Unauthorized"]);
    const dup = await get("/locked/x?apikey=a&apikey=b");
    expect([dup.status, dup.json().message]).toEqual([401, "Duplicate API key found"]);

    const ok = await get("/locked/x?apikey=ann-key&keep=1");
    expect(ok.status).toBe(200);
    const seen = upstream.seen.at(-1);
    expect(seen?.headers).toMatchObject({ "x-consumer-username": "ann", "x-consumer-custom-id": "c-1" });
    expect(seen?.headers["x-credential-identifier"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.url).toBe("/x?keep=1"); // hide_credentials took the key out
    expect((await get("/open/x")).status).toBe(200);
  });

  it("applies a consumer's own configuration once key-auth has identified the consumer (Kong's scopes)", async () => {
    const bob = (await admin("GET", "/consumers/bob")).json;
    expect(
      (
        await admin("POST", "/plugins", {
          name: "request-termination",
          consumer: { id: bob.id },
          config: { status_code: 403, message: "bob is on holiday" },
        })
      ).status,
    ).toBe(201);
    const asBob = await eventually(403, "/locked/x", { headers: { apikey: "bob-key" } });
    expect(asBob.json()).toEqual({ message: "bob is on holiday" });
    expect((await get("/locked/x", { headers: { apikey: "ann-key" } })).status).toBe(200);
  });

  it("key-auth with anonymous lets an unknown client in as the anonymous consumer", async () => {
    const anon = (await admin("POST", "/consumers", { username: "anonymous" })).json;
    const plugin = (await admin("GET", "/routes/locked/plugins")).json.data.find(
      (p: { name: string }) => p.name === "key-auth",
    );
    expect((await admin("PATCH", `/plugins/${plugin.id}`, { config: { anonymous: anon.id } })).status).toBe(
      200,
    );
    await eventually(200, "/locked/x");
    expect(upstream.seen.at(-1)?.headers).toMatchObject({
      "x-consumer-username": "anonymous",
      "x-anonymous-consumer": "true",
    });
  });

  it("request-termination answers on a route without a service, and correlation-id tags both ways", async () => {
    expect((await admin("POST", "/routes", { name: "maintenance", paths: ["/maintenance"] })).status).toBe(
      201,
    );
    expect(
      (
        await admin("POST", "/routes/maintenance/plugins", {
          name: "request-termination",
          config: { status_code: 503, body: "<h1>back soon</h1>", content_type: "text/html" },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin("POST", "/plugins", {
          name: "correlation-id",
          config: { echo_downstream: true, generator: "uuid" },
        })
      ).status,
    ).toBe(201);
    await cp.publisher.schedule();
    // both plugins must have reached the DP (they may come in separate snapshots)
    const down = await waitFor("the maintenance answer with a correlation id", async () => {
      const r = await get("/maintenance");
      return r.status === 503 && r.headers.get("kong-request-id") ? r : undefined;
    });
    expect([down.status, down.text, down.headers.get("content-type")]).toEqual([
      503,
      "<h1>back soon</h1>",
      "text/html",
    ]);
    expect(down.headers.get("kong-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const tagged = await waitFor("correlation ids", async () => {
      const r = await get("/open/x");
      return r.headers.get("kong-request-id") ? r : undefined;
    });
    const id = tagged.headers.get("kong-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(upstream.seen.at(-1)?.headers["kong-request-id"]).toBe(id);
    const kept = await get("/open/x", { headers: { "kong-request-id": "mine" } });
    expect(kept.headers.get("kong-request-id")).toBe("mine");
  });

  it("acl lets in the consumers of an allowed group, with their groups for the service", async () => {
    expect((await admin("POST", "/services/echo/routes", { name: "staff", paths: ["/staff"] })).status).toBe(
      201,
    );
    expect((await admin("POST", "/routes/staff/plugins", { name: "key-auth" })).status).toBe(201);
    expect(
      (await admin("POST", "/routes/staff/plugins", { name: "acl", config: { allow: ["staff"] } })).status,
    ).toBe(201);
    expect((await admin("POST", "/consumers/ann/acls", { group: "staff" })).status).toBe(201);
    expect((await admin("POST", "/consumers/ann/acls", { group: "ops" })).status).toBe(201);
    await cp.publisher.schedule();
    // key-auth and acl may reach the DP in separate snapshots: wait for acl's own answer
    const bob = await waitFor("acl's refusal", async () => {
      const r = await get("/staff/x", { headers: { apikey: "bob-key" } });
      return r.status === 403 && r.json().message === "You cannot consume this service" ? r : undefined;
    });
    expect(bob.json().message).toBe("You cannot consume this service");
    expect((await get("/staff/x", { headers: { apikey: "ann-key" } })).status).toBe(200);
    // Kong lists a consumer's groups in id order, as it reads them
    expect(String(upstream.seen.at(-1)?.headers["x-consumer-groups"]).split(", ").sort()).toEqual([
      "ops",
      "staff",
    ]);
  });

  it("ip-restriction refuses a denied client address, request-size-limiting an oversized body", async () => {
    expect(
      (await admin("POST", "/services/echo/routes", { name: "guarded", paths: ["/guarded"] })).status,
    ).toBe(201);
    expect(
      (
        await admin("POST", "/routes/guarded/plugins", {
          name: "ip-restriction",
          config: { deny: ["0.0.0.0/0", "::/0"] },
        })
      ).status,
    ).toBe(201);
    const denied = await eventually(403, "/guarded/x");
    expect(denied.json().message).toMatch(/^IP address not allowed: /);

    expect((await admin("POST", "/services/echo/routes", { name: "small", paths: ["/small"] })).status).toBe(
      201,
    );
    expect(
      (
        await admin("POST", "/routes/small/plugins", {
          name: "request-size-limiting",
          config: { allowed_payload_size: 1, size_unit: "kilobytes" },
        })
      ).status,
    ).toBe(201);
    const big = await eventually(413, "/small/x", { method: "POST", body: "x".repeat(2000) });
    expect(big.json().message).toBe("Request size limit exceeded");
    const ok = await get("/small/x", { method: "POST", body: "x".repeat(500) });
    expect(ok.status).toBe(200);
    expect(upstream.seen.at(-1)?.body).toHaveLength(500);
  });

  it("rate-limiting: Kong's headers and 429, local counts per DP node, cluster counts shared, exact under concurrency", async () => {
    const route = async (name: string, config: Record<string, unknown>) => {
      expect((await admin("POST", "/services/echo/routes", { name, paths: [`/${name}`] })).status).toBe(201);
      expect((await admin("POST", `/routes/${name}/plugins`, { name: "rate-limiting", config })).status).toBe(
        201,
      );
    };
    // created last, so that a DP serving its limit has the other two as well (snapshots are whole)
    await route("cluster-limit", { day: 3, limit_by: "ip", policy: "cluster" });
    await route("burst", { day: 10, limit_by: "ip", policy: "cluster" });
    await route("local-limit", { day: 3, limit_by: "ip", policy: "local" });
    await cp.publisher.schedule();
    // the route may reach the DP a moment before its plugin: wait for the plugin's headers
    const first = await waitFor("rate limits on the route", async () => {
      const r = await get("/local-limit/x");
      return r.headers.get("x-ratelimit-limit-day") ? r : undefined;
    });
    expect(first.headers.get("x-ratelimit-limit-day")).toBe("3");
    expect(first.headers.get("x-ratelimit-remaining-day")).toBe("2");
    expect(first.headers.get("ratelimit-limit")).toBe("3");
    expect(first.headers.get("ratelimit-reset")).toMatch(/^\d+$/);
    expect((await get("/local-limit/x")).headers.get("ratelimit-remaining")).toBe("1");
    expect((await get("/local-limit/x")).status).toBe(200);
    const limited = await get("/local-limit/x");
    expect(limited.status).toBe(429);
    expect(limited.json().message).toBe("API rate limit exceeded");
    expect(limited.headers.get("retry-after")).toBe(limited.headers.get("ratelimit-reset"));
    expect(limited.headers.get("x-ratelimit-remaining-day")).toBe("0");
    // another colo's DP node counts on its own under `local`...
    const elsewhere = (path: string) =>
      dp.mf.dispatchFetch(`${dp.url}${path}`, { cf: { colo: "elsewhere" } as never });
    expect((await elsewhere("/local-limit/x")).status).toBe(200);
    // ...and shares the count under `cluster`
    expect((await get("/cluster-limit/x")).status).toBe(200);
    expect((await elsewhere("/cluster-limit/x")).status).toBe(200);
    expect((await get("/cluster-limit/x")).status).toBe(200);
    expect((await elsewhere("/cluster-limit/x")).status).toBe(429);
    const burst = await Promise.all(Array.from({ length: 25 }, () => get("/burst/x")));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(10);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it("basic-auth: Kong's hashed passwords, Proxy-Authorization first, hide_credentials", async () => {
    expect(
      (await admin("POST", "/consumers/ann/basic-auth", { username: "ann-basic", password: "s3cret" }))
        .status,
    ).toBe(201);
    expect((await admin("POST", "/services/echo/routes", { name: "basic", paths: ["/basic"] })).status).toBe(
      201,
    );
    expect(
      (
        await admin("POST", "/routes/basic/plugins", {
          name: "basic-auth",
          config: { hide_credentials: true },
        })
      ).status,
    ).toBe(201);
    const none = await eventually(401, "/basic/x");
    expect(none.headers.get("www-authenticate")).toBe('Basic realm="service"');
    const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`;
    expect((await get("/basic/x", { headers: { authorization: basic("ann-basic", "wrong") } })).status).toBe(
      401,
    );
    expect((await get("/basic/x", { headers: { authorization: "Bearer x" } })).status).toBe(401);
    const ok = await get("/basic/x", { headers: { authorization: basic("ann-basic", "s3cret") } });
    expect(ok.status).toBe(200);
    const seen = upstream.seen.at(-1)?.headers;
    expect(seen?.["x-consumer-username"]).toBe("ann");
    expect(seen?.["x-credential-identifier"]).toBe("ann-basic");
    expect(seen?.authorization).toBeUndefined();
    const viaProxy = await get("/basic/x", {
      headers: { "proxy-authorization": basic("ann-basic", "s3cret"), authorization: basic("nobody", "x") },
    });
    expect(viaProxy.status).toBe(200);
  });

  it("cors: answers a preflight at the edge and adds Kong's headers to the service's answers", async () => {
    expect((await admin("POST", "/services/echo/routes", { name: "cors", paths: ["/cors"] })).status).toBe(
      201,
    );
    expect(
      (
        await admin("POST", "/routes/cors/plugins", {
          name: "cors",
          config: { origins: ["https://app.example"], max_age: 60 },
        })
      ).status,
    ).toBe(201);
    await cp.publisher.schedule();
    const preflightInit = {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "PUT" },
    };
    // the route may reach the DP a moment before its plugin: wait for the plugin's answer
    const preflight = await waitFor("the preflight answered at the edge", async () => {
      const r = await get("/cors/x", preflightInit);
      return r.headers.get("access-control-allow-origin") ? r : undefined;
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-max-age")).toBe("60");
    const before = upstream.seen.length;
    await get("/cors/x", preflightInit);
    expect(upstream.seen.length).toBe(before); // the service never sees a preflight
    const simple = await get("/cors/x", { headers: { origin: "https://app.example" } });
    expect([
      simple.status,
      simple.headers.get("access-control-allow-origin"),
      simple.headers.get("vary"),
    ]).toEqual([200, "https://app.example", "Origin"]);
  });

  it("jwt: HS256 and RS256 tokens against consumers' credentials, with Kong's errors", async () => {
    const { SignJWT, exportSPKI, generateKeyPair } = await import("jose");
    const rsa = await generateKeyPair("RS256");
    // bob has a consumer-scoped request-termination (above): carol holds the RS256 credential
    expect((await admin("POST", "/consumers", { username: "carol" })).status).toBe(201);
    expect((await admin("POST", "/consumers/ann/jwt", { key: "ann-iss", secret: "ann-secret" })).status).toBe(
      201,
    );
    expect(
      (
        await admin("POST", "/consumers/carol/jwt", {
          key: "carol-iss",
          algorithm: "RS256",
          rsa_public_key: await exportSPKI(rsa.publicKey),
        })
      ).status,
    ).toBe(201);
    expect((await admin("POST", "/services/echo/routes", { name: "jwt", paths: ["/jwt"] })).status).toBe(201);
    expect(
      (await admin("POST", "/routes/jwt/plugins", { name: "jwt", config: { claims_to_verify: ["exp"] } }))
        .status,
    ).toBe(201);
    const hs = (claims: Record<string, unknown>, secret = "ann-secret") =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
    const soon = Math.floor(Date.now() / 1000) + 600;
    const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

    const none = await eventually(401, "/jwt/x");
    expect(none.json()).toEqual({ message: "Unauthorized" });
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    const forged = await get("/jwt/x", bearer(await hs({ iss: "ann-iss", exp: soon }, "wrong")));
    expect([forged.status, forged.json()]).toEqual([401, { message: "Invalid signature" }]);
    const expired = await get("/jwt/x", bearer(await hs({ iss: "ann-iss", exp: 1000 })));
    expect([expired.status, expired.json()]).toEqual([401, { exp: "token expired" }]);
    const stranger = await get("/jwt/x", bearer(await hs({ iss: "nobody", exp: soon })));
    expect(stranger.json()).toEqual({ message: "No credentials found for given 'iss'" });

    const ok = await get("/jwt/x", bearer(await hs({ iss: "ann-iss", exp: soon })));
    expect(ok.status).toBe(200);
    expect(upstream.seen.at(-1)?.headers).toMatchObject({
      "x-consumer-username": "ann",
      "x-credential-identifier": "ann-iss",
    });
    const rs = await new SignJWT({ iss: "carol-iss", exp: soon })
      .setProtectedHeader({ alg: "RS256" })
      .sign(rsa.privateKey);
    expect((await get(`/jwt/x?jwt=${rs}`)).status).toBe(200);
    expect(upstream.seen.at(-1)?.headers["x-consumer-username"]).toBe("carol");
    const wrongAlg = await get("/jwt/x", bearer(await hs({ iss: "carol-iss", exp: soon })));
    expect(wrongAlg.json()).toEqual({ message: "Invalid algorithm" });
  });

  it("request-transformer: headers and query string changed in Kong's order, with templates, method and path", async () => {
    expect(
      (
        await admin("POST", "/services/echo/routes", {
          name: "transform",
          paths: ["~/transform/(?<user>\\w+)"],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin("POST", "/routes/transform/plugins", {
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
      const r = await get("/transform/ann?drop=1&mode=old&keep=2", {
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
      (await admin("POST", "/services/echo/routes", { name: "reshape", paths: ["/reshape"] })).status,
    ).toBe(201);
    expect(
      (
        await admin("POST", "/routes/reshape/plugins", {
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
    await cp.publisher.schedule();
    const reshaped = await waitFor("the reshaped response", async () => {
      const r = await get("/reshape/x");
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
        (await admin("POST", "/services/echo/routes", { name: "logged", paths: ["/logged"] })).status,
      ).toBe(201);
      expect((await admin("POST", "/routes/logged/plugins", { name: "key-auth" })).status).toBe(201);
      expect(
        (
          await admin("POST", "/routes/logged/plugins", {
            name: "http-log",
            config: { http_endpoint: endpoint, method: "PUT" },
          })
        ).status,
      ).toBe(201);
      await eventually(401, "/logged/x");
      // http-log may reach the DP a snapshot after key-auth: ask until a 200 is logged
      const entry = await waitFor("the 200's log entry", async () => {
        await get("/logged/x?q=1", { headers: { apikey: "ann-key" } });
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
        await get("/logged/x");
        return received.find((r) => (r.body as { response: { status: number } }).response?.status === 401);
      });
      expect(refused.body).toMatchObject({ source: "kong", response: { status: 401 } });

      const plugin = (await admin("GET", "/routes/logged/plugins")).json.data.find(
        (p: { name: string }) => p.name === "http-log",
      );
      expect(
        (
          await admin("PATCH", `/plugins/${plugin.id}`, {
            config: { queue: { max_batch_size: 3, max_coalescing_delay: 0.3 } },
          })
        ).status,
      ).toBe(200);
      await cp.publisher.schedule();
      const batch = await waitFor("a batch of three", async () => {
        await get("/logged/batch", { headers: { apikey: "ann-key" } });
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
      (await admin("POST", "/services/echo/routes", { name: "cached", paths: ["/cached"] })).status,
    ).toBe(201);
    expect(
      (
        await admin("POST", "/routes/cached/plugins", {
          name: "proxy-cache",
          config: { strategy: "memory", content_type: ["application/json"], cache_ttl: 60 },
        })
      ).status,
    ).toBe(201);
    await cp.publisher.schedule();
    const miss = await waitFor("proxy-cache on the route", async () => {
      const r = await get("/cached/a?x=1");
      return r.headers.get("x-cache-status") === "Miss" ? r : undefined;
    });
    const key = miss.headers.get("x-cache-key");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const served = upstream.seen.length;
    const hit = await waitFor("a hit", async () => {
      const r = await get("/cached/a?x=1");
      return r.headers.get("x-cache-status") === "Hit" ? r : undefined;
    });
    expect(hit.headers.get("x-cache-key")).toBe(key);
    expect(hit.headers.get("age")).toMatch(/^\d+$/);
    expect(hit.text).toBe(miss.text);
    expect(upstream.seen.length).toBe(served); // the service was not asked again
    expect((await get("/cached/a?x=2")).headers.get("x-cache-status")).toBe("Miss");
    expect((await get("/cached/a", { method: "POST", body: "{}" })).headers.get("x-cache-status")).toBe(
      "Bypass",
    );
  });

  it("mtls-auth: the client certificate Cloudflare saw, verified against the plugin's CA, mapped to a consumer", async () => {
    const { issue, KeyUsage, CLIENT_AUTH } = await import("../helpers/pki");
    const { createHash } = await import("node:crypto");
    const ca = await issue({
      name: "Client CA",
      ca: true,
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    });
    const other = await issue({
      name: "Other CA",
      ca: true,
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    });
    const erin = await issue({ name: "erin", issuer: ca, eku: [CLIENT_AUTH] });
    const stranger = await issue({ name: "erin", issuer: other, eku: [CLIENT_AUTH] });
    const caEntity = (await admin("POST", "/ca_certificates", { cert: ca.pem })).json;
    expect((await admin("POST", "/consumers", { username: "erin" })).status).toBe(201);
    expect((await admin("POST", "/services/echo/routes", { name: "mtls", paths: ["/mtls"] })).status).toBe(
      201,
    );
    expect(
      (
        await admin("POST", "/routes/mtls/plugins", {
          name: "mtls-auth",
          config: { ca_certificates: [caEntity.id] },
        })
      ).status,
    ).toBe(201);
    const send = async (der: Uint8Array | undefined, tls: Record<string, string> = {}) => {
      const res = await dp.mf.dispatchFetch(`${dp.url}/mtls/x`, {
        headers: der ? { "client-cert": `:${Buffer.from(der).toString("base64")}:` } : {},
        cf: {
          tlsClientAuth: der
            ? {
                certPresented: "1",
                certFingerprintSHA256: createHash("sha256").update(der).digest("hex"),
                certRevoked: "0",
                ...tls,
              }
            : { certPresented: "0" },
        } as never,
      });
      return { status: res.status, body: (await res.json()) as { message?: string } };
    };
    await cp.publisher.schedule();
    const none = await waitFor("mtls-auth on the route", async () => {
      const r = await send(undefined);
      return r.status === 401 ? r : undefined;
    });
    expect(none.body.message).toBe("No required TLS certificate was sent");
    expect((await send(erin.der)).status).toBe(200);
    expect(upstream.seen.at(-1)?.headers["x-consumer-username"]).toBe("erin");
    expect((await send(stranger.der)).body.message).toBe("TLS certificate failed verification");
    expect((await send(erin.der, { certRevoked: "1" })).status).toBe(401);
    // a Client-Cert header that is not the certificate of the connection counts for nothing
    expect((await send(erin.der, { certFingerprintSHA256: "0".repeat(64) })).body.message).toBe(
      "No required TLS certificate was sent",
    );
  });
});
