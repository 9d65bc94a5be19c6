import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LintelProcess, spawnLintel } from "../helpers/lintel-process";
import { freePort } from "../helpers/ports";
import { freshPostgres } from "../helpers/postgres";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * Hybrid mode as an operator runs it: `lintel cp` on the real Postgres server, two `lintel dp`
 * nodes side by side (own prefixes and proxy ports), certificates from `lintel hybrid gen_cert`.
 */
describe("lintel cp + two lintel dp, end to end", () => {
  let dir: string;
  let pg: Awaited<ReturnType<typeof freshPostgres>>;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  const nodes: LintelProcess[] = [];
  let admin: string;
  const proxies: string[] = [];
  let cpEnv: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-hybrid-"));
    pg = await freshPostgres();
    upstream = await startUpstream();
    const gen = spawnLintel(["hybrid", "gen_cert", join(dir, "cluster.crt"), join(dir, "cluster.key")], {});
    await gen.waitForOutput(/Successfully generated certificate\/key pairs/);
    const url = new URL(pg.url);
    const [adminPort, clusterPort] = [await freePort(), await freePort()];
    admin = `http://127.0.0.1:${adminPort}`;
    const certs = {
      KONG_CLUSTER_CERT: join(dir, "cluster.crt"),
      KONG_CLUSTER_CERT_KEY: join(dir, "cluster.key"),
    };
    cpEnv = {
      ...certs,
      KONG_PREFIX: join(dir, "cp"),
      KONG_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      KONG_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
      KONG_PG_HOST: url.hostname,
      KONG_PG_PORT: url.port,
      KONG_PG_USER: url.username,
      KONG_PG_DATABASE: url.pathname.slice(1),
    };
    const cp = spawnLintel(["cp"], cpEnv);
    nodes.push(cp);
    await cp.waitForOutput(/Admin API\s+http/);
    for (const name of ["dp1", "dp2"]) {
      const port = await freePort();
      proxies.push(`http://127.0.0.1:${port}`);
      const dp = spawnLintel(["dp"], {
        ...certs,
        KONG_PREFIX: join(dir, name),
        KONG_PROXY_LISTEN: `127.0.0.1:${port}`,
        KONG_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
        KONG_CLUSTER_DP_LABELS: `name:${name}`,
      });
      nodes.push(dp);
      await dp.waitForOutput(/Proxy\s+http/, 60_000);
    }
  });

  afterAll(async () => {
    for (const n of nodes.reverse()) await n.stop();
    await upstream?.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reaches both data planes, which report in sync with their labels", async () => {
    const service = await fetch(`${admin}/services`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "hybrid", url: upstream.url }),
    });
    expect(service.status).toBe(201);
    const route = await fetch(`${admin}/services/hybrid/routes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paths: ["/hybrid"], strip_path: false }),
    });
    expect(route.status).toBe(201);
    for (const proxy of proxies) {
      const res = await waitFor(`${proxy} to serve the route`, async () => {
        const r = await fetch(`${proxy}/hybrid/x`);
        return r.status === 200 ? r : undefined;
      });
      expect((await res.json()).url).toBe("/hybrid/x");
    }
    const list = await waitFor("both DPs in sync", async () => {
      const l = await (await fetch(`${admin}/clustering/data-planes`)).json();
      return l.data.length === 2 && l.data.every((d: { sync_status: string }) => d.sync_status === "normal")
        ? l
        : undefined;
    });
    expect(list.data.map((d: { labels: { name: string } }) => d.labels.name).sort()).toEqual(["dp1", "dp2"]);
  });

  it("keeps serving while the control plane is away, and reconnects when it is back; a CP that stops is no error on the DPs (09-hybrid_mode/02-start_stop_spec.lua:219)", async () => {
    const cp = nodes[0] as LintelProcess;
    const dps = nodes.slice(1);
    const errorsBefore = dps.map((dp) => dp.errors().length);
    expect(await cp.stop()).toBe(0);
    await Promise.all(dps.map((dp) => dp.waitForOutput(/connection to the control plane closed \(1001/)));
    expect(dps.map((dp, i) => dp.errors().slice(errorsBefore[i]))).toEqual(["", ""]);
    for (const proxy of proxies) {
      const statuses = await Promise.all(
        Array.from({ length: 25 }, async () => {
          const r = await fetch(`${proxy}/hybrid/during-outage`);
          await r.arrayBuffer();
          return r.status;
        }),
      );
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    }
    const back = spawnLintel(["cp"], cpEnv);
    nodes[0] = back;
    await back.waitForOutput(/Admin API\s+http/);
    await waitFor(
      "both DPs back and in sync",
      async () => {
        const l = await (await fetch(`${admin}/clustering/data-planes`)).json();
        const fresh = l.data.filter(
          (d: { sync_status: string; last_seen: number }) =>
            d.sync_status === "normal" && d.last_seen >= Date.now() / 1000 - 5,
        );
        return fresh.length === 2 ? true : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
  });

  it("refuses to start with a bad option, naming it", async () => {
    const bad = spawnLintel(["cp"], {
      KONG_ROLE: "x",
      KONG_CLUSTER_MTLS: "nope",
      KONG_PREFIX: join(dir, "bad"),
    });
    await bad
      .waitForOutput(/cluster_mtls has an invalid value: 'nope' \(shared, pki\)/)
      .catch(() => undefined);
    const code = await new Promise<number | null>((r) =>
      bad.proc.exitCode !== null ? r(bad.proc.exitCode) : bad.proc.once("exit", (c) => r(c)),
    );
    expect(code).toBe(1);
    expect(bad.output()).toContain("Error: cluster_mtls has an invalid value: 'nope' (shared, pki)");
  });
});
