import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import type { ExportedEntity, ExportedRoute, ExportedService } from "../../shared/declarative/config";
import { clusterCertificate } from "../helpers/certs";
import { route, service, snapshotOf, target, upstream } from "../helpers/config-builder";
import { type FakeCp, startFakeCp } from "../helpers/fake-cp";
import { freePort } from "../helpers/ports";
import { waitFor } from "../helpers/wait";

/** A real upstream server that answers with its name, after `delay` ms, with `status`. */
type Backend = {
  name: string;
  port: number;
  hits: IncomingMessage[];
  server: Server;
  status: number;
  delay: number;
};

async function backend(name: string): Promise<Backend> {
  const b: Backend = { name, port: 0, hits: [], server: createServer(), status: 200, delay: 0 };
  b.server.on("request", (req, res) => {
    b.hits.push(req);
    req.resume();
    if (req.url?.includes("/chunked")) {
      // a chunked body, written in parts
      res.writeHead(200, { "x-backend": name, "set-cookie": ["a=1", "b=2"] });
      res.write("first,");
      setTimeout(() => res.end("second"), 20);
      return;
    }
    setTimeout(() => {
      res.writeHead(b.status, { "content-type": "application/json", "x-backend": name });
      res.end(JSON.stringify({ backend: name, host: req.headers.host, headers: req.headers, url: req.url }));
    }, b.delay);
  });
  await new Promise<void>((r) => b.server.listen(0, "127.0.0.1", () => r()));
  b.port = (b.server.address() as { port: number }).port;
  return b;
}

/**
 * The proxy in workerd, fed configs by a stand-in CP: balancing over real upstream servers,
 * retries and timeouts, passive health, Kong's headers and error formats, WebSockets, and a
 * sample of Kong's router cases end to end.
 */
describe("edge DP proxy in workerd", () => {
  let dir: string;
  let cp: FakeCp;
  let dp: LocalDp;
  let trustingDp: LocalDp;
  let cluster: Awaited<ReturnType<typeof clusterCertificate>>["identity"];
  const backends: Backend[] = [];
  let version = 1;
  let deadPort: number;

  /** Pushes a config to both DPs and waits until both serve it. */
  async function push(
    services: ExportedService[],
    routes: ExportedRoute[],
    extra: { upstreams?: ExportedEntity[]; targets?: ExportedEntity[] } = {},
  ) {
    const canary = service({ url: `http://127.0.0.1:${(backends[0] as Backend).port}` });
    const marker = `/__v${++version}`;
    const snap = await snapshotOf(
      cluster,
      version,
      [...services, canary],
      [...routes, route({ paths: [marker] }, canary.id)],
      extra,
    );
    cp.send(snap.bytes);
    for (const node of [dp, trustingDp]) {
      await waitFor("the DP to serve the new config", async () => {
        const r = await fetch(`${node.url}${marker}`);
        await r.arrayBuffer();
        return r.status === 200 ? true : undefined;
      });
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-proxy-"));
    const certs = await clusterCertificate(dir);
    cluster = certs.identity;
    cp = await startFakeCp();
    for (const name of ["a", "b", "c"]) backends.push(await backend(name));
    deadPort = await freePort();
    const bindings = {
      KONG_CLUSTER_CERT: certs.certPem,
      KONG_CLUSTER_CERT_KEY: certs.keyPem,
      KONG_CLUSTER_CONTROL_PLANE: cp.url,
      KONG_CONFIG_CHECK_INTERVAL: "0.05",
    };
    dp = await startLocalDp({ prefix: join(dir, "dp"), host: "127.0.0.1", port: await freePort(), bindings });
    trustingDp = await startLocalDp({
      prefix: join(dir, "trusting"),
      host: "127.0.0.1",
      port: await freePort(),
      bindings: {
        ...bindings,
        KONG_TRUSTED_IPS: "127.0.0.1/32,::1/128",
        KONG_HEADERS: "off",
        KONG_HEADERS_UPSTREAM: "off",
      },
      nodeName: "trusting",
    });
  });

  afterAll(async () => {
    await dp?.close();
    await trustingDp?.close();
    await cp?.close();
    for (const b of backends) b.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const a = () => backends[0] as Backend;
  const b = () => backends[1] as Backend;
  const c = () => backends[2] as Backend;
  const addr = (x: Backend) => `127.0.0.1:${x.port}`;
  const get = async (path: string, init?: RequestInit, node = dp) => {
    const r = await fetch(`${node.url}${path}`, init);
    const text = await r.text();
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
  };
  const reset = () => {
    for (const x of backends) {
      x.hits.length = 0;
      x.status = 200;
      x.delay = 0;
    }
  };

  it("balances over an upstream's targets by weight, a whole wheel at a time (round-robin)", async () => {
    reset();
    const up = upstream({ name: "weighted" });
    const svc = service({ host: "weighted", port: 80 });
    await push([svc], [route({ paths: ["/rr"] }, svc.id)], {
      upstreams: [up],
      targets: [
        target({ target: addr(a()), weight: 100 }, up.id),
        target({ target: addr(b()), weight: 300 }, up.id),
      ],
    });
    const seen: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const r = await get("/rr/x");
      expect(r.status).toBe(200);
      const name = r.headers.get("x-backend") as string;
      seen[name] = (seen[name] ?? 0) + 1;
    }
    expect(seen).toEqual({ a: 10, b: 30 });
    // Kong's Host for a target: its address, with the port
    expect(a().hits[0]?.headers.host).toBe(addr(a()));
  });

  it("retries a refused connection at the next target, and answers Kong's 502 when every try fails", async () => {
    reset();
    const up = upstream({ name: "flaky" });
    const retrying = service({ host: "flaky", port: 80, retries: 3 });
    const once = service({ host: "flaky", port: 80, retries: 0 });
    const dead = upstream({ name: "dead" });
    const nowhere = service({ host: "dead", port: 80, retries: 2 });
    await push(
      [retrying, once, nowhere],
      [
        route({ paths: ["/retry"] }, retrying.id),
        route({ paths: ["/once"] }, once.id),
        route({ paths: ["/dead"] }, nowhere.id),
      ],
      {
        upstreams: [up, dead],
        targets: [
          target({ target: `127.0.0.1:${deadPort}` }, up.id),
          target({ target: addr(a()) }, up.id),
          target({ target: `127.0.0.1:${deadPort}` }, dead.id),
        ],
      },
    );
    for (let i = 0; i < 10; i++) expect((await get("/retry/x")).status).toBe(200);
    const once10 = await Promise.all(Array.from({ length: 10 }, () => get("/once/x")));
    expect(once10.map((r) => r.status).sort()).toEqual([...Array(5).fill(200), ...Array(5).fill(502)]);
    const failed = await get("/dead/x");
    expect(failed.status).toBe(502);
    expect(failed.json()).toEqual({
      message: "An invalid response was received from the upstream server",
      request_id: failed.headers.get("x-kong-request-id"),
    });
  });

  it("answers Kong's 504 when the upstream does not answer within the timeouts, and tries the next target", async () => {
    reset();
    b().delay = 1500;
    const slowOnly = service({
      url: `http://${addr(b())}`,
      connect_timeout: 100,
      read_timeout: 200,
      retries: 0,
    });
    const up = upstream({ name: "half-slow" });
    const mixed = service({
      host: "half-slow",
      port: 80,
      connect_timeout: 100,
      read_timeout: 200,
      retries: 1,
    });
    await push(
      [slowOnly, mixed],
      [route({ paths: ["/slow"] }, slowOnly.id), route({ paths: ["/mixed"] }, mixed.id)],
      {
        upstreams: [up],
        targets: [target({ target: addr(b()) }, up.id), target({ target: addr(c()) }, up.id)],
      },
    );
    const slow = await get("/slow/x");
    expect(slow.status).toBe(504);
    expect(slow.json().message).toBe("The upstream server is timing out");
    for (let i = 0; i < 4; i++) {
      const r = await get("/mixed/x");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-backend")).toBe("c");
    }
  });

  it("sends the same header value to the same target, and makes a hashing cookie (consistent-hashing)", async () => {
    reset();
    const byHeader = upstream({ name: "by-user", hash_on: "header", hash_on_header: "x-user" });
    const byCookie = upstream({ name: "by-cookie", hash_on: "cookie", hash_on_cookie: "lb" });
    const s1 = service({ host: "by-user", port: 80 });
    const s2 = service({ host: "by-cookie", port: 80 });
    const targets = (u: ExportedEntity) => backends.map((x) => target({ target: addr(x) }, u.id));
    await push([s1, s2], [route({ paths: ["/hash"] }, s1.id), route({ paths: ["/sticky"] }, s2.id)], {
      upstreams: [byHeader, byCookie],
      targets: [...targets(byHeader), ...targets(byCookie)],
    });
    const users = new Map<string, Set<string>>();
    for (let i = 0; i < 60; i++) {
      const user = `user-${i % 12}`;
      const r = await get("/hash/x", { headers: { "x-user": user } });
      const set = users.get(user) ?? new Set();
      set.add(r.headers.get("x-backend") as string);
      users.set(user, set);
    }
    expect([...users.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set([...users.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);

    const first = await get("/sticky/x");
    const cookie = first.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^lb=[0-9a-f-]{36}; Path=\/; Same-Site=Lax; HttpOnly$/);
    const value = cookie.split(";")[0] as string;
    const again = await Promise.all(
      Array.from({ length: 6 }, () => get("/sticky/x", { headers: { cookie: value } })),
    );
    expect(new Set(again.map((r) => r.headers.get("x-backend")))).toEqual(
      new Set([first.headers.get("x-backend")]),
    );
    expect(again.every((r) => r.headers.get("set-cookie") === null)).toBe(true);
  });

  it("takes a target that keeps failing out of rotation (passive health checks)", async () => {
    reset();
    const up = upstream({
      name: "guarded",
      healthchecks: { passive: { unhealthy: { http_failures: 2, http_statuses: [500] } } },
    });
    const svc = service({ host: "guarded", port: 80 });
    await push([svc], [route({ paths: ["/guarded"] }, svc.id)], {
      upstreams: [up],
      targets: [target({ target: addr(a()) }, up.id), target({ target: addr(b()) }, up.id)],
    });
    a().status = 500;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get("/guarded/x")).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    expect(statuses.slice(-6)).toEqual(Array(6).fill(200));
  });

  it("sends the upstream's host_header with the target's port, and the client's Host with preserve_host", async () => {
    reset();
    const up = upstream({ name: "named", host_header: "api.internal" });
    const named = service({ host: "named", port: 80 });
    const kept = service({ url: `http://${addr(c())}` });
    await push(
      [named, kept],
      [route({ paths: ["/named"] }, named.id), route({ paths: ["/kept"], preserve_host: true }, kept.id)],
      { upstreams: [up], targets: [target({ target: addr(c()) }, up.id)] },
    );
    const viaHostHeader = await get("/named/x?q=1");
    expect(viaHostHeader.json()).toMatchObject({ host: `api.internal:${c().port}`, url: "/x?q=1" });
    const preserved = await dp.mf.dispatchFetch("http://client.example:8000/kept/y", {
      method: "POST",
      body: "payload",
    });
    const seen = (await preserved.json()) as { host: string; url: string };
    expect(seen).toMatchObject({ host: "client.example:8000", url: "/y" });
    expect(c().hits.at(-1)?.headers["content-length"]).toBe("7");
    const chunked = await dp.mf.dispatchFetch("http://client.example/kept/chunked");
    expect(await chunked.text()).toBe("first,second");
    expect(chunked.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("writes its own errors in the format the client accepts, with Kong's headers", async () => {
    const html = await get("/nowhere", { headers: { accept: "text/html" } });
    expect(html.status).toBe(404);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.text).toContain("<p>no Route matched with those values.</p>");
    expect(html.headers.get("x-kong-response-latency")).toMatch(/^\d+$/);
    const text = await get("/nowhere", { headers: { accept: "text/plain" } });
    expect(text.text).toBe(
      `no Route matched with those values\nrequest_id: ${text.headers.get("x-kong-request-id")}\n`,
    );
    const quiet = await get("/nowhere", {}, trustingDp);
    expect([quiet.headers.get("x-kong-response-latency"), quiet.headers.get("x-kong-request-id")]).toEqual([
      null,
      null,
    ]);
  });

  it("believes X-Forwarded-* and X-Real-IP only from trusted_ips, and leaves out what `headers` turns off", async () => {
    reset();
    const svc = service({ url: `http://${addr(c())}` });
    await push([svc], [route({ paths: ["/fwd"] }, svc.id)]);
    const sent = {
      "x-forwarded-proto": "https",
      "x-forwarded-host": "public.example",
      "x-real-ip": "203.0.113.7",
    };
    const untrusted = (await get("/fwd/x", { headers: sent })).json().headers;
    expect(untrusted["x-forwarded-proto"]).toBe("http");
    expect(untrusted["x-forwarded-host"]).toBe("127.0.0.1");
    expect(untrusted["x-real-ip"]).not.toBe("203.0.113.7");
    expect(untrusted["x-kong-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const viaDefault = await get("/fwd/x");
    expect(viaDefault.headers.get("via")).toMatch(/lintel\//);
    expect(viaDefault.headers.get("x-kong-upstream-latency")).toMatch(/^\d+$/);

    const trustedRes = await get("/fwd/x", { headers: sent }, trustingDp);
    const trusted = trustedRes.json().headers;
    expect(trusted["x-forwarded-proto"]).toBe("https");
    expect(trusted["x-forwarded-host"]).toBe("public.example");
    expect(trusted["x-real-ip"]).toBe("203.0.113.7");
    expect(trusted["x-kong-request-id"]).toBeUndefined();
    expect([trustedRes.headers.get("via"), trustedRes.headers.get("x-kong-proxy-latency")]).toEqual([
      null,
      null,
    ]);
    // with nothing to add, the service's response goes out as it came: its own headers and body
    expect(trustedRes.status).toBe(200);
    expect(trustedRes.headers.get("x-backend")).toBe("c");
  });

  it("proxies a WebSocket upgrade to the service", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise<void>((r) => wss.once("listening", () => r()));
    wss.on("connection", (ws) => ws.on("message", (m) => ws.send(`echo:${m}`)));
    try {
      const svc = service({ url: `http://127.0.0.1:${(wss.address() as { port: number }).port}` });
      await push([svc], [route({ paths: ["/ws"] }, svc.id)]);
      const ws = new WebSocket(`${dp.url.replace(/^http/, "ws")}/ws/chat`);
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      const reply = new Promise<string>((r) => ws.once("message", (m) => r(m.toString())));
      ws.send("hello");
      expect(await reply).toBe("echo:hello");
      ws.close();
    } finally {
      wss.close();
    }
  });

  it("routes as Kong's router does, end to end: priorities, regex captures with strip_path, normalised paths", async () => {
    reset();
    const svcA = service({ url: `http://${addr(a())}/base` });
    const svcB = service({ url: `http://${addr(b())}` });
    await push(
      [svcA, svcB],
      [
        // 08-router_spec.lua:1055: a regex path outranks a prefix path
        route({ paths: ["/users"] }, svcB.id),
        route({ paths: ["~/users/(?<id>\\d+)"], strip_path: true }, svcA.id),
        // a plain host alone outranks a wildcard host with a path (Kong's priority as it runs)
        route({ hosts: ["wild.test"] }, svcA.id),
        route({ hosts: ["*.test"], paths: ["/w"] }, svcB.id),
      ],
    );
    const regex = await get("/users/42/posts");
    expect(regex.text).toContain('"backend":"a"');
    expect(regex.json().url).toBe("/base/posts");
    expect((await get("/users/x")).headers.get("x-backend")).toBe("b");
    const backendFor = async (url: string) => (await dp.mf.dispatchFetch(url)).headers.get("x-backend");
    expect(await backendFor("http://wild.test/w/x")).toBe("a");
    expect(await backendFor("http://other.test/w/x")).toBe("b");
    // path_handling fixture line 115: /route./req with strip_path gives /service/req
    const svcC = service({ url: `http://${addr(c())}/service` });
    await push([svcC], [route({ paths: ["/route"] }, svcC.id)]);
    expect((await get("/route%2E/req")).json().url).toBe("/service/req");
  });
});
