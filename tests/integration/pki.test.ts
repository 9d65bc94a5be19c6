import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { type ClusterIdentity, loadClusterIdentity } from "../../shared/cluster/keys";
import { parseConf } from "../../shared/conf/options";
import { route, service, snapshotOf } from "../helpers/config-builder";
import { startFakeCp } from "../helpers/fake-cp";
import { dialOutlet } from "../helpers/outlet";
import { CLIENT_AUTH, hierarchy, type Issued, issue, SERVER_AUTH } from "../helpers/pki";
import { freePort } from "../helpers/ports";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

async function identity(leaf: Issued, ...chain: Issued[]): Promise<ClusterIdentity> {
  const r = await loadClusterIdentity([leaf, ...chain].map((c) => c.pem).join("\n"), leaf.keyPem);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

/** `cluster_mtls = pki` end to end: DPs and the CP each present a chain to the cluster CA. */
describe("cluster_mtls = pki", () => {
  let dir: string;
  let h: Awaited<ReturnType<typeof hierarchy>>;
  let cp: ControlPlane;
  let clusterPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-pki-"));
    h = await hierarchy();
    writeFileSync(join(dir, "ca.crt"), h.root.pem);
    writeFileSync(join(dir, "cp.crt"), `${h.cp.pem}\n${h.intermediate.pem}`);
    writeFileSync(join(dir, "cp.key"), h.cp.keyPem);
    clusterPort = await freePort();
    const conf = parseConf({
      prefix: dir,
      admin_listen: `127.0.0.1:${await freePort()}`,
      cluster_listen: `127.0.0.1:${clusterPort}`,
      cluster_mtls: "pki",
      cluster_ca_cert: join(dir, "ca.crt"),
      cluster_cert: join(dir, "cp.crt"),
      cluster_cert_key: join(dir, "cp.key"),
    });
    if (!conf.ok) throw new Error(conf.error.join());
    cp = await startControlPlane(conf.value, { log: () => {} });
  });
  afterAll(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const handshake = async (who: ClusterIdentity) => dialOutlet(`ws://127.0.0.1:${clusterPort}`, who);

  it("lets in a DP whose chain leads to the cluster CA (09-hybrid_mode/03-pki_spec.lua)", async () => {
    expect(await handshake(await identity(h.dp, h.intermediate))).toBe(101);
  });

  it("refuses a DP from another CA, and one whose certificate is not for client authentication", async () => {
    const otherRoot = await issue({ name: "Elsewhere", ca: true });
    const stranger = await issue({ name: "dp-x", issuer: otherRoot, eku: [CLIENT_AUTH] });
    expect(await handshake(await identity(stranger, otherRoot))).toBe(401);
    const serverOnly = await issue({ name: "dp-s", issuer: h.intermediate, eku: [SERVER_AUTH] });
    expect(await handshake(await identity(serverOnly, h.intermediate))).toBe(401);
  });

  it("has a DP in workerd apply snapshots signed by the named CP only", async () => {
    const fake = await startFakeCp();
    const upstream = await startUpstream();
    const dpDir = join(dir, "dp");
    let dp: LocalDp | undefined;
    try {
      dp = await startLocalDp({
        prefix: dpDir,
        host: "127.0.0.1",
        port: await freePort(),
        bindings: {
          KONG_CLUSTER_MTLS: "pki",
          KONG_CLUSTER_CA_CERT: h.root.pem,
          KONG_CLUSTER_SERVER_NAME: "cp.lintel.test",
          KONG_CLUSTER_CERT: `${h.dp.pem}\n${h.intermediate.pem}`,
          KONG_CLUSTER_CERT_KEY: h.dp.keyPem,
          KONG_CLUSTER_CONTROL_PLANE: fake.url,
          KONG_CONFIG_CHECK_INTERVAL: "0.05",
          KONG_DATA_PLANE_CONFIG_CACHE_MODE: "off",
        },
      });
      await waitFor("the DP to connect", () => (fake.sockets.length ? true : undefined));
      const lastPing = () =>
        fake.messages.filter((m) => m.type === "ping").at(-1) as {
          config_hash: string;
          error?: { reason: string };
        };
      const svc = service({ url: upstream.url });
      const wrongName = await issue({
        name: "impostor.test",
        issuer: h.intermediate,
        eku: [SERVER_AUTH],
        dns: ["impostor.test"],
      });
      fake.send(
        (
          await snapshotOf(
            await identity(wrongName, h.intermediate),
            2,
            [svc],
            [route({ paths: ["/pki"] }, svc.id)],
          )
        ).bytes,
      );
      await waitFor("a refusal", () => (lastPing()?.error?.reason === "bad_signature" ? true : undefined));
      const good = await snapshotOf(
        await identity(h.cp, h.intermediate),
        3,
        [svc],
        [route({ paths: ["/pki"] }, svc.id)],
      );
      fake.send(good.bytes);
      await waitFor("the named CP's snapshot", () =>
        lastPing()?.config_hash === good.manifest.config_hash ? true : undefined,
      );
      const res = await waitFor("the route", async () => {
        const r = await fetch(`${dp?.url}/pki/x`);
        await r.arrayBuffer();
        return r.status === 200 ? r : undefined;
      });
      expect(res.status).toBe(200);
    } finally {
      await dp?.close();
      await fake.close();
      await upstream.close();
    }
  });
});
