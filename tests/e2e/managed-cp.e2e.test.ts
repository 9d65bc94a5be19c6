import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { clusterCertificate } from "../helpers/certs";
import { type ManagedCp, startManagedCp } from "../helpers/managed-cp";
import { type Relay, startPgWebSocketRelay } from "../helpers/pg-websocket-relay";
import { freePort } from "../helpers/ports";
import { freshPostgres } from "../helpers/postgres";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

const TOKEN = "managed-cp-e2e-token";

/**
 * The managed CP Worker and edge DP Workers, each in workerd, on the real Postgres server through
 * the WebSocket relay: the cases of the Node CP's end-to-end test, plus what only the managed CP
 * has (a Hub that keeps the config when the database is gone, a Node CP on the same database).
 */
describe("managed CP Worker + edge DP Workers, end to end", () => {
  let dir: string;
  let pg: Awaited<ReturnType<typeof freshPostgres>>;
  let relay: Relay;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let cp: ManagedCp;
  let cpPort: number;
  let bindings: Record<string, string>;
  const dps: LocalDp[] = [];
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${cp.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", "kong-admin-token": TOKEN, ...init.headers },
    });
  const status = async (url: string) => {
    const r = await fetch(url);
    await r.arrayBuffer();
    return r.status;
  };
  const startDp = async (name: string) => {
    const dp = await startLocalDp({
      prefix: join(dir, name),
      host: "127.0.0.1",
      port: await freePort(),
      bindings: {
        KONG_CLUSTER_CERT: certs.certPem,
        KONG_CLUSTER_CERT_KEY: certs.keyPem,
        KONG_CLUSTER_CONTROL_PLANE: `ws://127.0.0.1:${cpPort}`,
        KONG_CLUSTER_DP_LABELS: `name:${name}`,
        KONG_CONFIG_CHECK_INTERVAL: "0.1",
      },
      nodeName: name,
    });
    dps.push(dp);
    return dp;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-mcp-e2e-"));
    pg = await freshPostgres();
    relay = await startPgWebSocketRelay();
    upstream = await startUpstream();
    certs = await clusterCertificate(dir);
    cpPort = await freePort();
    bindings = {
      DATABASE_URL: pg.url,
      DATABASE_WEBSOCKET_PROXY: relay.url,
      KONG_CLUSTER_CERT: certs.certPem,
      KONG_CLUSTER_CERT_KEY: certs.keyPem,
      KONG_ADMIN_TOKEN: TOKEN,
      KONG_DB_UPDATE_FREQUENCY: "0.5",
    };
    cp = await startManagedCp({ dir: join(dir, "cp"), port: cpPort, bindings });
    await startDp("dp1");
    await startDp("dp2");
  });

  afterAll(async () => {
    for (const dp of dps) await dp.close();
    await cp?.close();
    await relay?.close();
    await upstream?.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reaches both data planes, which report in sync with their labels (09-hybrid_mode/01-sync_spec.lua)", async () => {
    expect(
      (await admin("/services", { method: "POST", body: JSON.stringify({ name: "m", url: upstream.url }) }))
        .status,
    ).toBe(201);
    expect(
      (await admin("/services/m/routes", { method: "POST", body: JSON.stringify({ paths: ["/managed"] }) }))
        .status,
    ).toBe(201);
    for (const dp of dps) {
      await waitFor("the route on every DP", async () =>
        (await status(`${dp.url}/managed/x`)) === 200 ? true : undefined,
      );
    }
    expect(upstream.seen.at(-1)?.url).toBe("/x");
    const list = await waitFor("both DPs in sync", async () => {
      const l = await (await admin("/clustering/data-planes")).json();
      return l.data.length === 2 && l.data.every((d: { sync_status: string }) => d.sync_status === "normal")
        ? l
        : undefined;
    });
    expect(list.data.map((d: { labels: { name: string } }) => d.labels.name).sort()).toEqual(["dp1", "dp2"]);
    expect(list.data[0].cert_details.expiry_timestamp).toBeGreaterThan(Date.now() / 1000);
  });

  it("pushes writes made by a Node CP on the same database (several CP nodes, one database)", async () => {
    const conf = parseConf({
      prefix: join(dir, "node-cp"),
      admin_listen: `127.0.0.1:${await freePort()}`,
      cluster_listen: `127.0.0.1:${await freePort()}`,
      cluster_cert: certs.cert,
      cluster_cert_key: certs.key,
    });
    if (!conf.ok) throw new Error(conf.error.join());
    const node: ControlPlane = await startControlPlane(conf.value, {
      env: { DATABASE_URL: pg.url },
      log: () => {},
    });
    try {
      const r = await fetch(`${node.adminUrl}/services/m/routes`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ paths: ["/from-node"] }),
      });
      expect(r.status).toBe(201);
    } finally {
      await node.close();
    }
    for (const dp of dps) {
      await waitFor("the Node CP's route on every DP", async () =>
        (await status(`${dp.url}/from-node`)) === 200 ? true : undefined,
      );
    }
  });

  it("keeps serving while the managed CP is away, and reconnects when it is back", async () => {
    await cp.close();
    for (const dp of dps) expect(await status(`${dp.url}/managed/during-outage`)).toBe(200);
    cp = await startManagedCp({ dir: join(dir, "cp"), port: cpPort, bindings });
    await waitFor(
      "both DPs back and in sync",
      async () => {
        const l = await (await admin("/clustering/data-planes")).json();
        const fresh = l.data.filter(
          (d: { sync_status: string; last_seen: number }) =>
            d.sync_status === "normal" && d.last_seen >= Date.now() / 1000 - 5,
        );
        return fresh.length === 2 ? true : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
  });

  it("gives a new DP the config it kept while the database cannot be reached", async () => {
    await cp.close();
    await relay.close();
    cp = await startManagedCp({ dir: join(dir, "cp"), port: cpPort, bindings });
    const fresh = await startDp("dp3");
    await waitFor("the kept config on a DP that never saw it", async () =>
      (await status(`${fresh.url}/managed/x`)) === 200 ? true : undefined,
    );
    const write = await admin("/services", {
      method: "POST",
      body: JSON.stringify({ name: "n", host: "n.test" }),
    });
    expect(write.status).toBe(503);
    expect(await write.json()).toEqual({ message: "The database cannot be reached" });
  });
});
