import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalDp } from "../../cli/local-dp";
import type { ControlPlane } from "../../control-plane/node/control-plane";
import { type Hybrid, startHybrid } from "../helpers/hybrid";
import { waitFor } from "../helpers/wait";

type Backend = { name: string; port: number; server: Server; statusHealth: number; probes: number };

async function backend(name: string): Promise<Backend> {
  const b: Backend = { name, port: 0, server: createServer(), statusHealth: 200, probes: 0 };
  b.server.on("request", (req, res) => {
    if (req.url === "/status") {
      b.probes++;
      res.writeHead(b.statusHealth).end();
      return;
    }
    res.writeHead(200, { "x-backend": name }).end(name);
  });
  await new Promise<void>((r) => b.server.listen(0, "127.0.0.1", () => r()));
  b.port = (b.server.address() as { port: number }).port;
  return b;
}

/**
 * Active health checks run by the DP node's alarm against real servers: a failing target leaves
 * every isolate's rotation and comes back, and the control plane's /upstreams/{u}/health shows
 * what the data plane found.
 */
describe("active health checks, DP node to isolates to control plane", () => {
  let hybrid: Hybrid;
  let cp: ControlPlane;
  let dp: LocalDp;
  let good: Backend;
  let flaky: Backend;
  const admin = (path: string, body?: unknown) =>
    fetch(`${cp.adminUrl}${path}`, {
      method: body ? "POST" : "GET",
      headers: { "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    hybrid = await startHybrid("health");
    ({ cp, dp } = hybrid);
    good = await backend("good");
    flaky = await backend("flaky");
  });

  afterAll(async () => {
    await hybrid?.close();
    good?.server.close();
    flaky?.server.close();
  });

  const backendsSeen = async (n: number) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${dp.url}/checked/x`);
      seen.add(await r.text());
    }
    return seen;
  };

  it("takes a target whose probes fail out of rotation, brings it back when they pass, and reports both to the CP", async () => {
    expect(
      (
        await admin("/upstreams", {
          name: "checked",
          healthchecks: {
            active: {
              http_path: "/status",
              timeout: 1,
              healthy: { interval: 0.2, successes: 1, http_statuses: [200] },
              unhealthy: { interval: 0.2, http_failures: 1, http_statuses: [500] },
            },
          },
        })
      ).status,
    ).toBe(201);
    for (const b of [good, flaky]) {
      expect((await admin("/upstreams/checked/targets", { target: `127.0.0.1:${b.port}` })).status).toBe(201);
    }
    expect((await admin("/services", { name: "checked", host: "checked", port: 80 })).status).toBe(201);
    expect((await admin("/services/checked/routes", { paths: ["/checked"] })).status).toBe(201);
    await waitFor("both targets in rotation", async () =>
      (await backendsSeen(6)).size === 2 ? true : undefined,
    );

    flaky.statusHealth = 500;
    await waitFor("the failing target out of rotation", async () => {
      const seen = await backendsSeen(8);
      return seen.size === 1 && seen.has("good") ? true : undefined;
    });
    const report = await waitFor("the CP to know", async () => {
      const body = await (await admin("/upstreams/checked/health")).json();
      const flakyRow = body.data.find((t: { target: string }) => t.target === `127.0.0.1:${flaky.port}`);
      return flakyRow?.health === "UNHEALTHY" ? body : undefined;
    });
    const goodRow = report.data.find((t: { target: string }) => t.target === `127.0.0.1:${good.port}`);
    expect(goodRow).toMatchObject({
      health: "HEALTHY",
      upstream: { id: expect.any(String) },
      data: { addresses: [{ ip: "127.0.0.1", port: good.port, health: "HEALTHY", weight: 100 }] },
    });
    expect(goodRow.data.data_planes).toEqual([{ id: (await dp.nodeStatus()).node_id, health: "HEALTHY" }]);
    expect(report.node_id).toBe(cp.nodeId);
    expect((await (await admin("/upstreams/checked/health?balancer_health=1")).json()).data.health).toBe(
      "HEALTHY",
    );
    // prometheus' upstream_health_metrics: Kong's gauge per state, on the CP's /metrics
    const metrics = async () => (await admin("/metrics")).text();
    expect(await metrics()).not.toContain("kong_upstream_target_health");
    expect(
      (await admin("/plugins", { name: "prometheus", config: { upstream_health_metrics: true } })).status,
    ).toBe(201);
    const gauge = (port: number, state: string) =>
      `kong_upstream_target_health{upstream="checked",target="127.0.0.1:${port}",address="127.0.0.1:${port}",state="${state}",subsystem="http"}`;
    const text = await metrics();
    expect(text).toContain(`${gauge(flaky.port, "unhealthy")} 1`);
    expect(text).toContain(`${gauge(flaky.port, "healthy")} 0`);
    expect(text).toContain(`${gauge(good.port, "healthy")} 1`);
    expect(text).toContain(`${gauge(good.port, "dns_error")} 0`);

    flaky.statusHealth = 200;
    await waitFor("the target back in rotation", async () =>
      (await backendsSeen(6)).size === 2 ? true : undefined,
    );
    await waitFor("the CP to know it is back", async () => {
      const body = await (await admin("/upstreams/checked/health")).json();
      return body.data.every((t: { health: string }) => t.health === "HEALTHY") ? true : undefined;
    });
  });

  it("says HEALTHCHECKS_OFF for an upstream without checks, and 404 for an unknown one", async () => {
    expect((await admin("/upstreams", { name: "plain" })).status).toBe(201);
    expect((await admin("/upstreams/plain/targets", { target: "10.0.0.9:80" })).status).toBe(201);
    const body = await (await admin("/upstreams/plain/health")).json();
    expect(body.data.map((t: { health: string }) => t.health)).toEqual(["HEALTHCHECKS_OFF"]);
    expect(await (await admin("/metrics")).text()).toContain(
      'kong_upstream_target_health{upstream="plain",target="10.0.0.9:80",address="10.0.0.9:80",state="healthchecks_off",subsystem="http"} 1',
    );
    expect((await admin("/upstreams/nope/health")).status).toBe(404);
  });
});
