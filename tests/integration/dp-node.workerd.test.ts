import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import { ReplayGuard, verifyHandshake } from "../../shared/cluster/handshake";
import type { ClusterIdentity } from "../../shared/cluster/keys";
import { sharedTrust } from "../../shared/cluster/trust";
import { clusterCertificate } from "../helpers/certs";
import { route, service, snapshotOf } from "../helpers/config-builder";
import { type FakeCp, startFakeCp } from "../helpers/fake-cp";
import { freePort } from "../helpers/ports";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * The edge DP in workerd against a stand-in CP that pushes good, forged, stale and broken
 * snapshots: the DP node must keep only verified snapshots, never go back to an older version, and
 * serve what it kept after a restart.
 */
describe("edge DP node in workerd", () => {
  let dir: string;
  let cp: FakeCp;
  let dp: LocalDp;
  let cluster: ClusterIdentity;
  let stranger: ClusterIdentity;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let bindings: Record<string, string>;
  let port: number;
  const pings = () => cp.messages.filter((m) => m.type === "ping");
  const lastPing = () => pings().at(-1) as { config_hash: string; error?: { reason: string } } | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-dpnode-"));
    const certs = await clusterCertificate(dir);
    cluster = certs.identity;
    stranger = (await clusterCertificate(dir, "stranger")).identity;
    cp = await startFakeCp();
    upstream = await startUpstream();
    port = await freePort();
    bindings = {
      KONG_CLUSTER_CERT: certs.certPem,
      KONG_CLUSTER_CERT_KEY: certs.keyPem,
      KONG_CLUSTER_CONTROL_PLANE: cp.url,
      KONG_CONFIG_CHECK_INTERVAL: "0.05",
    };
    dp = await startLocalDp({ prefix: dir, host: "127.0.0.1", port, bindings });
  });

  afterAll(async () => {
    await dp?.close();
    await cp?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(`${dp.url}${path}`);
  const status = async (path: string) => {
    const r = await get(path);
    await r.arrayBuffer();
    return r.status;
  };

  it("connects with a handshake the CP can verify, then greets and pings", async () => {
    await waitFor("the DP to ping", () => (pings().length ? true : undefined));
    const [hs] = cp.handshakes;
    const query = new URL(hs?.url ?? "", "http://x").searchParams;
    expect(query.get("node_version")).toBe("3.10.0");
    expect(query.get("node_hostname")).toBe("lintel-dp-local");
    const verified = await verifyHandshake(hs?.authorization?.replace("Bearer ", "") ?? "", {
      audience: "kong_clustering",
      now: Date.now(),
      trust: await sharedTrust([cluster.chain[0] as Uint8Array]),
      replay: new ReplayGuard(),
    });
    expect(verified.ok && verified.value.claims.node_id).toBe(query.get("node_id"));
    // the plugins this DP runs, so that the CP sends it configs that use them
    expect(cp.messages[0]).toMatchObject({
      type: "basic_info",
      plugins: expect.arrayContaining([
        { name: "key-auth", version: "3.10.0" },
        { name: "rate-limiting", version: "3.10.0" },
      ]),
    });
    expect(lastPing()?.config_hash).toBe("0".repeat(32));
    expect(await status("/dp")).toBe(404);
  });

  it("applies a verified snapshot, reports its hash and proxies with it", async () => {
    const svc = service({ url: upstream.url });
    const snap = await snapshotOf(cluster, 5, [svc], [route({ paths: ["/dp"] }, svc.id)]);
    cp.send(snap.bytes);
    await waitFor("the DP to report the new hash", () =>
      lastPing()?.config_hash === snap.manifest.config_hash ? true : undefined,
    );
    await waitFor("the route to be served", async () => ((await status("/dp/x")) === 200 ? true : undefined));
  });

  it("refuses a snapshot signed by another key, a tampered one and an older version, and keeps serving", async () => {
    const served = lastPing()?.config_hash;
    const empty = await snapshotOf(stranger, 9, [], []);
    cp.send(empty.bytes);
    await waitFor("a refusal", () => (lastPing()?.error?.reason === "bad_signature" ? true : undefined));

    const good = await snapshotOf(cluster, 9, [], []);
    const tampered = good.bytes.slice();
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0x55;
    cp.send(tampered);
    await waitFor("a refusal", () => (lastPing()?.error?.reason === "digest_mismatch" ? true : undefined));

    const older = await snapshotOf(cluster, 4, [], []);
    cp.send(older.bytes);
    await waitFor("a refusal", () => (lastPing()?.error?.reason === "stale" ? true : undefined));

    expect(lastPing()?.config_hash).toBe(served);
    expect(await status("/dp/x")).toBe(200);
  });

  it("serves the kept snapshot after a restart, before the CP sends anything, under the same node id (09-hybrid_mode/09-node-id-persistence_spec.lua)", async () => {
    await dp.close();
    const before = cp.messages.length;
    dp = await startLocalDp({ prefix: dir, host: "127.0.0.1", port, bindings });
    expect(await status("/dp/y")).toBe(200);
    const nodeIdOf = (h: { url: string } | undefined) =>
      new URL(h?.url ?? "", "http://x").searchParams.get("node_id");
    await waitFor("the restarted DP to reconnect", () => (cp.handshakes.length >= 2 ? true : undefined));
    expect(nodeIdOf(cp.handshakes.at(-1))).toBe(nodeIdOf(cp.handshakes[0]));
    await waitFor("the restarted DP to ping with the kept hash", () =>
      cp.messages.slice(before).some((m) => m.type === "ping" && m.config_hash !== "0".repeat(32))
        ? true
        : undefined,
    );
  });

  it("keeps the newer of two snapshots pushed back to back, whatever their order of arrival", async () => {
    const svc = service({ url: upstream.url });
    const newer = await snapshotOf(cluster, 8, [svc], [route({ paths: ["/dp"] }, svc.id)]);
    const older = await snapshotOf(cluster, 7, [], []);
    const before = pings().length;
    cp.send(newer.bytes);
    cp.send(older.bytes);
    await waitFor("both snapshots to be answered", () => (pings().length >= before + 2 ? true : undefined));
    await waitFor("a refusal of the older one", () =>
      pings()
        .slice(before)
        .some((p) => (p.error as { reason?: string } | undefined)?.reason === "stale")
        ? true
        : undefined,
    );
    expect(lastPing()?.config_hash).toBe(newer.manifest.config_hash);
    expect(await status("/dp/x")).toBe(200);
  });

  it("keeps its config when the CP dies in the middle of a snapshot, and reconnects", async () => {
    const served = lastPing()?.config_hash;
    const svc = service({ url: upstream.url });
    const next = await snapshotOf(cluster, 50, [svc], [route({ paths: ["/never"] }, svc.id)]);
    const handshakes = cp.handshakes.length;
    const before = pings().length;
    // the frame's header announces the whole snapshot; half of it is sent, then the connection dies
    const length = next.bytes.length;
    const header = Buffer.alloc(10);
    header[0] = 0x82;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
    for (const ws of cp.sockets) {
      const raw = (ws as unknown as { _socket: import("node:net").Socket })._socket;
      raw.write(Buffer.concat([header, Buffer.from(next.bytes.subarray(0, length >> 1))]));
      raw.destroy();
    }
    await waitFor("the DP to reconnect", () => (cp.handshakes.length > handshakes ? true : undefined), {
      timeoutMs: 20_000,
    });
    await waitFor("a ping on the new connection", () => (pings().length > before ? true : undefined));
    expect(lastPing()?.config_hash).toBe(served);
    expect(lastPing()?.error).toBeUndefined();
    expect(await status("/dp/x")).toBe(200);
    expect(await status("/never")).toBe(404);
  });

  it("starts the connection over when a snapshot's frames are out of step, and takes the config the CP sends on the new one", async () => {
    const svc = service({ url: upstream.url });
    const next = await snapshotOf(
      cluster,
      9,
      [svc],
      [route({ paths: ["/dp"] }, svc.id), route({ paths: ["/again"] }, svc.id)],
    );
    const handshakes = cp.handshakes.length;
    // announced shorter than the frame that follows: the node cannot tell where the next snapshot starts
    for (const ws of cp.sockets.filter((s) => s.readyState === s.OPEN)) {
      ws.send(JSON.stringify({ type: "snapshot", bytes: 16 }));
      ws.send(next.bytes);
    }
    await waitFor("the refusal", () => (lastPing()?.error?.reason === "malformed" ? true : undefined));
    cp.current = next.bytes;
    try {
      await waitFor("the DP to reconnect", () => (cp.handshakes.length > handshakes ? true : undefined), {
        timeoutMs: 20_000,
      });
      await waitFor("the config sent on the new connection", async () =>
        (await status("/again/x")) === 200 ? true : undefined,
      );
      expect(lastPing()?.config_hash).toBe(next.manifest.config_hash);
    } finally {
      cp.current = undefined;
    }
  });

  it("answers an https-only route reached over http with Kong's 426, or its redirect", async () => {
    const svc = service({ url: upstream.url });
    const snap = await snapshotOf(
      cluster,
      10,
      [svc],
      [
        route({ paths: ["/secure"], protocols: ["https"] }, svc.id),
        route({ paths: ["/moved"], protocols: ["https"], https_redirect_status_code: 301 }, svc.id),
      ],
    );
    cp.send(snap.bytes);
    const res = await waitFor("the https-only route", async () => {
      const r = await get("/secure/x");
      return r.status === 426 ? r : undefined;
    });
    expect(await res.json()).toMatchObject({ message: "Please use HTTPS protocol" });
    const moved = await fetch(`${dp.url}/moved/x?q=1`, { redirect: "manual" });
    expect(moved.status).toBe(301);
    expect(moved.headers.get("location")).toBe(`https://127.0.0.1/moved/x?q=1`);
  });

  it("follows a control plane whose database was restored (a new epoch), but not a replay from before", async () => {
    const svc = service({ url: upstream.url });
    const restored = await snapshotOf(cluster, 1, [svc], [route({ paths: ["/restored"] }, svc.id)], {
      epoch: "99999999-2222-4333-8444-555555555555",
      created_at: 5_000,
    });
    cp.send(restored.bytes);
    await waitFor("the restored config", async () =>
      (await status("/restored")) === 200 ? true : undefined,
    );
    const replay = await snapshotOf(cluster, 50, [], [], {
      epoch: "88888888-2222-4333-8444-555555555555",
      created_at: 10,
    });
    cp.send(replay.bytes);
    await waitFor("the replay refused", () => (lastPing()?.error?.reason === "stale" ? true : undefined));
    expect(await status("/restored")).toBe(200);
  });

  it("goes to Kong's 404 when a newer snapshot removes the route", async () => {
    const next = await snapshotOf(cluster, 2, [], [], {
      epoch: "99999999-2222-4333-8444-555555555555",
      created_at: 6_000,
    });
    cp.send(next.bytes);
    const res = await waitFor("the route to go", async () => {
      const r = await get("/dp/x");
      return r.status === 404 ? r : undefined;
    });
    expect(await res.json()).toMatchObject({ message: "no Route matched with those values" });
  });
});

describe("edge DP node reconnecting", () => {
  it("keeps its back-off under traffic while the CP refuses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lintel-backoff-"));
    const { createServer } = await import("node:http");
    let dials = 0;
    const refusing = createServer((_req, res) => res.end());
    refusing.on("upgrade", (_req, socket) => {
      dials++;
      socket.end("HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n");
    });
    await new Promise<void>((r) => refusing.listen(0, "127.0.0.1", () => r()));
    const certs = await clusterCertificate(dir);
    const port = await freePort();
    const node = await startLocalDp({
      prefix: dir,
      host: "127.0.0.1",
      port,
      bindings: {
        KONG_CLUSTER_CERT: certs.certPem,
        KONG_CLUSTER_CERT_KEY: certs.keyPem,
        KONG_CLUSTER_CONTROL_PLANE: `ws://127.0.0.1:${(refusing.address() as { port: number }).port}`,
        KONG_CONFIG_CHECK_INTERVAL: "0.02",
      },
    });
    try {
      // 60 requests spaced past the check interval: every one of them asks the DP node to connect
      for (let i = 0; i < 60; i++) {
        await (await fetch(`${node.url}/x`)).arrayBuffer();
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(dials).toBeGreaterThanOrEqual(1);
      // 1 s, 2 s, 4 s... with jitter: far fewer than the requests that asked
      expect(dials).toBeLessThanOrEqual(5);
    } finally {
      await node.close();
      refusing.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
