import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startLocalDp } from "../../cli/local-dp";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { openSnapshot } from "../../shared/snapshot/codec";
import { clusterCertificate } from "../helpers/certs";
import { route, service, snapshotOf } from "../helpers/config-builder";
import { startFakeCp } from "../helpers/fake-cp";
import { connectDp, dialOutlet } from "../helpers/outlet";
import { freePort } from "../helpers/ports";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * Rotating the shared cluster certificate without a restart: old and new are trusted together
 * (`cluster_trusted_certs`), a reload (SIGHUP) switches the CP's own certificate, and connected DPs
 * stay connected and get snapshots signed with the new key.
 */
describe("cluster certificate rotation", () => {
  let dir: string;
  let cp: ControlPlane;
  let oldCert: Awaited<ReturnType<typeof clusterCertificate>>;
  let newCert: Awaited<ReturnType<typeof clusterCertificate>>;
  let stranger: Awaited<ReturnType<typeof clusterCertificate>>;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-rotate-"));
    oldCert = await clusterCertificate(dir, "old");
    newCert = await clusterCertificate(dir, "new");
    stranger = await clusterCertificate(dir, "stranger");
    copyFileSync(oldCert.cert, join(dir, "cluster.crt"));
    copyFileSync(oldCert.key, join(dir, "cluster.key"));
    copyFileSync(newCert.cert, join(dir, "trusted.crt"));
    port = await freePort();
    const conf = parseConf({
      prefix: dir,
      admin_listen: `127.0.0.1:${await freePort()}`,
      cluster_listen: `127.0.0.1:${port}`,
      cluster_cert: join(dir, "cluster.crt"),
      cluster_cert_key: join(dir, "cluster.key"),
      cluster_trusted_certs: join(dir, "trusted.crt"),
    });
    if (!conf.ok) throw new Error(conf.error.join());
    cp = await startControlPlane(conf.value, { log: () => {} });
  });
  afterAll(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("trusts the old and the new certificate at once, and no other", async () => {
    expect(await dialOutlet(`ws://127.0.0.1:${port}`, oldCert.identity)).toBe(101);
    expect(await dialOutlet(`ws://127.0.0.1:${port}`, newCert.identity)).toBe(101);
    expect(await dialOutlet(`ws://127.0.0.1:${port}`, stranger.identity)).toBe(401);
  });

  it("switches to the new certificate on reload, keeping connected DPs and signing with the new key", async () => {
    const { ws, frames } = await connectDp(`ws://127.0.0.1:${port}`, oldCert.identity);
    const open = (bytes: Buffer, signer: Uint8Array) =>
      openSnapshot(new Uint8Array(bytes), { signers: [signer], maxPayload: 1 << 24 });
    expect((await open(frames[0] as Buffer, oldCert.identity.chain[0] as Uint8Array)).ok).toBe(true);

    copyFileSync(newCert.cert, join(dir, "cluster.crt"));
    copyFileSync(newCert.key, join(dir, "cluster.key"));
    copyFileSync(oldCert.cert, join(dir, "trusted.crt"));
    await cp.reload();

    const resigned = await waitFor("a snapshot signed with the new key", () =>
      frames.length >= 2 ? frames.at(-1) : undefined,
    );
    expect((await open(resigned, newCert.identity.chain[0] as Uint8Array)).ok).toBe(true);
    expect((await open(resigned, oldCert.identity.chain[0] as Uint8Array)).ok).toBe(false);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(await dialOutlet(`ws://127.0.0.1:${port}`, oldCert.identity)).toBe(101);
    expect(await dialOutlet(`ws://127.0.0.1:${port}`, stranger.identity)).toBe(401);
    ws.terminate();
  });

  it("has a DP in workerd apply snapshots signed by a certificate it trusts besides its own", async () => {
    const fake = await startFakeCp();
    const upstream = await startUpstream();
    const dp = await startLocalDp({
      prefix: join(dir, "dp"),
      host: "127.0.0.1",
      port: await freePort(),
      bindings: {
        KONG_CLUSTER_CERT: oldCert.certPem,
        KONG_CLUSTER_CERT_KEY: oldCert.keyPem,
        KONG_CLUSTER_TRUSTED_CERTS: newCert.certPem,
        KONG_CLUSTER_CONTROL_PLANE: fake.url,
        KONG_CONFIG_CHECK_INTERVAL: "0.05",
        KONG_DATA_PLANE_CONFIG_CACHE_MODE: "off",
      },
    });
    try {
      await waitFor("the DP to connect", () => (fake.sockets.length ? true : undefined));
      const svc = service({ url: upstream.url });
      fake.send((await snapshotOf(stranger.identity, 1, [svc], [route({ paths: ["/no"] }, svc.id)])).bytes);
      fake.send(
        (await snapshotOf(newCert.identity, 2, [svc], [route({ paths: ["/rotated"] }, svc.id)])).bytes,
      );
      await waitFor("the route", async () => {
        const r = await fetch(`${dp.url}/rotated`);
        await r.arrayBuffer();
        return r.status === 200 ? true : undefined;
      });
      const refused = fake.messages.some(
        (m) => m.type === "ping" && (m.error as { reason?: string })?.reason === "bad_signature",
      );
      expect(refused).toBe(true);
    } finally {
      await dp.close();
      await fake.close();
      await upstream.close();
    }
  });
});
