import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LintelProcess, spawnLintel } from "../helpers/lintel-process";
import { freePort } from "../helpers/ports";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * `lintel start` as a user runs it: the embedded database, generated certificates, a control plane
 * and a data plane in workerd, real HTTP through the proxy port to a real upstream server.
 */
describe("lintel start, end to end", () => {
  let prefix: string;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let lintel: LintelProcess;
  let env: Record<string, string>;
  let admin: string;
  let proxy: string;

  beforeAll(async () => {
    prefix = mkdtempSync(join(tmpdir(), "lintel-e2e-"));
    upstream = await startUpstream();
    const [adminPort, clusterPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
    admin = `http://127.0.0.1:${adminPort}`;
    proxy = `http://127.0.0.1:${proxyPort}`;
    env = {
      KONG_PREFIX: prefix,
      KONG_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      KONG_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
      KONG_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    };
    lintel = spawnLintel(["start"], env);
    await lintel.waitForOutput(/Ctrl-C stops Lintel/, 60_000);
  });

  afterAll(async () => {
    await lintel?.stop();
    await upstream?.close();
    rmSync(prefix, { recursive: true, force: true });
  });

  it("prints what runs where and a curl quick start", () => {
    const out = lintel.output();
    expect(out).toContain(`Admin API      ${admin}`);
    expect(out).toContain(`Proxy          ${proxy}`);
    expect(out).toMatch(/curl -i -X POST .*\/services /);
    expect(out).toContain("(generated)");
  });

  it("generates the cluster key readable by its owner only", () => {
    expect(statSync(join(prefix, "cluster.key")).mode & 0o777).toBe(0o600);
  });

  it("answers Kong's 404 before any route exists", async () => {
    const res = await fetch(`${proxy}/anything`);
    expect(res.status).toBe(404);
    expect((await res.json()).message).toBe("no Route matched with those values");
  });

  it("serves an Admin API write within a deadline, proxies to the upstream, and 404s once the route is gone (09-hybrid_mode/01-sync_spec.lua:145)", async () => {
    const service = await fetch(`${admin}/services`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e", url: `${upstream.url}/base` }),
    });
    expect(service.status).toBe(201);
    const route = await fetch(`${admin}/services/e2e/routes`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=e2e-route&paths[]=/e2e",
    });
    expect(route.status).toBe(201);
    const written = Date.now();

    const res = await waitFor("the route to be served", async () => {
      const r = await fetch(`${proxy}/e2e/hello?x=1`, { headers: { "x-test": "1" } });
      if (r.status === 200) return r;
      await r.arrayBuffer();
      return undefined;
    });
    const propagationMs = Date.now() - written;
    console.log(`[e2e] Admin API write to DP serving it: ${propagationMs} ms`);
    const seen = await res.json();
    expect(seen.url).toBe("/base/hello?x=1");
    expect(seen.headers["x-forwarded-prefix"]).toBe("/e2e");
    expect(seen.headers["x-forwarded-path"]).toBe("/e2e/hello");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-for"]).toBeTruthy();
    expect(seen.headers.via).toMatch(/^1\.1 lintel\//);
    expect(seen.headers["x-test"]).toBe("1");
    expect(res.headers.get("x-upstream")).toBe("yes");
    expect(res.headers.get("via")).toMatch(/lintel/);

    const dps = await (await fetch(`${admin}/clustering/data-planes`)).json();
    expect(dps.data).toHaveLength(1);
    expect(dps.data[0]).toMatchObject({ ip: "127.0.0.1", version: "3.10.0" });
    await waitFor("the DP to report the current hash", async () => {
      const list = await (await fetch(`${admin}/clustering/data-planes`)).json();
      return list.data[0].sync_status === "normal" ? true : undefined;
    });

    expect((await fetch(`${admin}/routes/e2e-route`, { method: "DELETE" })).status).toBe(204);
    const gone = await waitFor("the route to be gone", async () => {
      const r = await fetch(`${proxy}/e2e/hello`);
      return r.status === 404 ? r : undefined;
    });
    expect(await gone.json()).toMatchObject({ message: "no Route matched with those values" });
  });

  it("keeps the configuration across a restart and stops cleanly on Ctrl-C", async () => {
    const route = await fetch(`${admin}/services/e2e/routes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "kept", paths: ["/kept"] }),
    });
    expect(route.status).toBe(201);
    await waitFor("the route to be served", async () =>
      (await fetch(`${proxy}/kept`)).status === 200 ? true : undefined,
    );
    const nodeBefore = (await (await fetch(`${admin}/`)).json()).node_id;
    const dpBefore = (await (await fetch(`${admin}/clustering/data-planes`)).json()).data.map(
      (d: { id: string }) => d.id,
    );
    expect(await lintel.stop()).toBe(0);
    expect(lintel.output()).toContain("Stopped");

    lintel = spawnLintel(["start"], env);
    await lintel.waitForOutput(/Ctrl-C stops Lintel/, 60_000);
    expect(lintel.output()).not.toContain("(generated)");
    const res = await waitFor("the kept route after restart", async () => {
      const r = await fetch(`${proxy}/kept/again`);
      return r.status === 200 ? r : undefined;
    });
    expect((await res.json()).url).toBe("/base/again");
    // node ids persist across restarts (09-hybrid_mode/09-node-id-persistence_spec.lua)
    expect((await (await fetch(`${admin}/`)).json()).node_id).toBe(nodeBefore);
    const dpAfter = await waitFor("the DP listed again", async () => {
      const l = await (await fetch(`${admin}/clustering/data-planes`)).json();
      return l.data.length ? l.data.map((d: { id: string }) => d.id) : undefined;
    });
    expect(dpAfter).toEqual(dpBefore);
  });
});
