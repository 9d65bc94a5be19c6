import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CLUSTER_AUDIENCE, signHandshake } from "../../shared/cluster/handshake";
import type { ClusterIdentity } from "../../shared/cluster/keys";
import { openSnapshot } from "../../shared/snapshot/codec";
import { sha256Hex } from "../../shared/util/bytes";
import { clusterCertificate } from "../helpers/certs";
import { type ManagedCp, managedCpBindings, startManagedCp } from "../helpers/managed-cp";
import { type Relay, startPgWebSocketRelay } from "../helpers/pg-websocket-relay";
import { freshPostgres } from "../helpers/postgres";
import { waitFor } from "../helpers/wait";
import { clusterOutletSuite } from "./cluster-outlet.suite";

const ADMIN_TOKEN = "managed-cp-test-token";

/**
 * The managed CP Worker in workerd, on the real Postgres server through a WebSocket-to-TCP relay:
 * the same cluster cases as the Node CP.
 */
describe("cluster endpoint (/v1/outlet) of the managed CP in workerd", () => {
  clusterOutletSuite(async () => {
    const dir = mkdtempSync(join(tmpdir(), "lintel-mcp-"));
    const certs = await clusterCertificate(dir);
    const stranger = (await clusterCertificate(dir, "stranger")).identity;
    const pg = await freshPostgres();
    const relay = await startPgWebSocketRelay();
    const cp = await startManagedCp({
      dir,
      bindings: managedCpBindings({
        databaseUrl: pg.url,
        relayUrl: relay.url,
        certs,
        adminToken: ADMIN_TOKEN,
      }),
    });
    return {
      clusterBase: cp.url.replace(/^http/, "ws"),
      admin: (path, init) =>
        fetch(`${cp.url}${path}`, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), "kong-admin-token": ADMIN_TOKEN },
        }),
      cluster: certs.identity,
      stranger,
      close: async () => {
        await cp.close();
        await relay.close();
        await pg.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

/** What only the managed CP has: hibernation, Cloudflare's mTLS, and start-up errors per request. */
describe("managed CP in workerd", () => {
  let dir: string;
  let pg: Awaited<ReturnType<typeof freshPostgres>>;
  let relay: Relay;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let cp: ManagedCp;
  let bindings: Record<string, string>;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-mcp-"));
    certs = await clusterCertificate(dir);
    pg = await freshPostgres();
    relay = await startPgWebSocketRelay();
    bindings = managedCpBindings({
      databaseUrl: pg.url,
      relayUrl: relay.url,
      certs,
      adminToken: ADMIN_TOKEN,
    });
    cp = await startManagedCp({ dir: join(dir, "cp"), bindings });
  });

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await cp?.close();
    await relay?.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${cp.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", "kong-admin-token": ADMIN_TOKEN, ...init.headers },
    });
  const handshake = (who: ClusterIdentity, nodeId: string) =>
    signHandshake(who, { node_id: nodeId, aud: CLUSTER_AUDIENCE, now: Date.now(), jti: randomUUID() });
  const outlet = (nodeId: string) => `/v1/outlet?node_id=${nodeId}&node_hostname=sleepy&node_version=3.10.0`;

  it("resumes its DPs' sessions after hibernating: pings answered, writes pushed, the DP listed in sync", async () => {
    const nodeId = randomUUID();
    const ws = new WebSocket(`${cp.url.replace(/^http/, "ws")}${outlet(nodeId)}`, {
      headers: { authorization: `Bearer ${await handshake(certs.identity, nodeId)}` },
    });
    sockets.push(ws);
    const frames: Array<Buffer | string> = [];
    ws.on("message", (data, binary) => frames.push(binary ? (data as Buffer) : data.toString()));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.send(JSON.stringify({ type: "basic_info", plugins: [] }));
    const snapshots = () => frames.filter((f) => typeof f !== "string");
    await waitFor("the first snapshot", () => (snapshots().length === 1 ? true : undefined));

    const pongs = () => frames.filter((f) => f === '{"type":"pong"}').length;
    const ping = async (hash: string) => {
      const before = pongs();
      ws.send(JSON.stringify({ type: "ping", config_hash: hash }));
      await waitFor("a pong", () => (pongs() > before ? true : undefined));
    };
    const first = await openSnapshot(new Uint8Array(snapshots()[0] as Buffer), {
      signers: [certs.identity.chain[0] as Uint8Array],
      maxPayload: 16 << 20,
    });
    if (!first.ok) throw new Error("the snapshot must verify");
    const resumed = () => cp.logs.some((l) => l.includes("1 data plane connections resumed"));
    // The Hub must sit idle for workerd to evict it (10 s), its sockets kept open: the passage of
    // time is what is tested here, and each ping, as a DP's every 30 s, wakes it.
    for (let i = 0; i < 4 && !resumed(); i++) {
      await new Promise((r) => setTimeout(r, 11_000));
      await ping(first.value.manifest.config_hash);
    }
    expect(resumed()).toBe(true);

    const write = await admin("/services", {
      method: "POST",
      body: JSON.stringify({ name: "after-sleep", host: "a.test" }),
    });
    expect(write.status).toBe(201);
    await waitFor("a snapshot pushed to the resumed session", () =>
      snapshots().length === 2 ? true : undefined,
    );
    const second = await openSnapshot(new Uint8Array(snapshots()[1] as Buffer), {
      signers: [certs.identity.chain[0] as Uint8Array],
      maxPayload: 16 << 20,
    });
    if (!second.ok) throw new Error("the snapshot must verify");
    await ping(second.value.manifest.config_hash);
    const listed = await waitFor("the DP listed in sync", async () => {
      const l = await (await admin("/clustering/data-planes")).json();
      const dp = l.data.find((d: { id: string }) => d.id === nodeId);
      return dp?.sync_status === "normal" ? dp : undefined;
    });
    expect(listed).toMatchObject({ hostname: "sleepy", config_hash: second.value.manifest.config_hash });
  }, 90_000);
  it("holds the TLS client certificate Cloudflare saw (request.cf.tlsClientAuth) to the one the handshake proves", async () => {
    const stranger = await clusterCertificate(dir, "other");
    const dial = async (tlsClientAuth: Record<string, string> | undefined) => {
      const nodeId = randomUUID();
      const res = await cp.mf.dispatchFetch(`http://managed.test${outlet(nodeId)}`, {
        headers: { upgrade: "websocket", authorization: `Bearer ${await handshake(certs.identity, nodeId)}` },
        // only some of Cloudflare's RFC 9440 fields: the ones the Worker reads
        cf: (tlsClientAuth ? { tlsClientAuth } : {}) as never,
      });
      res.webSocket?.accept();
      res.webSocket?.close();
      return res.status;
    };
    const fingerprint = await sha256Hex(certs.identity.chain[0] as Uint8Array);
    const other = await sha256Hex(stranger.identity.chain[0] as Uint8Array);
    expect(
      await dial({ certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: fingerprint }),
    ).toBe(101);
    expect(await dial({ certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: other })).toBe(
      401,
    );
    expect(await dial({ certPresented: "1", certVerified: "NONE", certFingerprintSHA256: "" })).toBe(401);
    // mTLS not enabled for the hostname, or no certificate sent: the handshake alone decides
    expect(await dial({ certPresented: "0", certVerified: "NONE", certFingerprintSHA256: "" })).toBe(101);
    expect(await dial(undefined)).toBe(101);
    expect(cp.logs.join("\n")).toContain("the TLS client certificate is not the one the handshake proves");
  });

  it("ignores a client's own copy of the headers the Worker sets for the Hub", async () => {
    const nodeId = randomUUID();
    const res = await cp.mf.dispatchFetch(`http://managed.test${outlet(nodeId)}`, {
      headers: {
        upgrade: "websocket",
        authorization: `Bearer ${await handshake(certs.identity, nodeId)}`,
        "x-lintel-client-cert-sha256": "0".repeat(64),
      },
    });
    res.webSocket?.accept();
    res.webSocket?.close();
    expect(res.status).toBe(101);
  });

  it("answers every request with what is wrong with its configuration, naming each option, no secret shown", async () => {
    const bad = await startManagedCp({
      dir: join(dir, "bad"),
      bindings: { KONG_CLUSTER_MTLS: "nope", KONG_CLUSTER_CERT_KEY: "-----BEGIN PRIVATE KEY-----s3cr3t" },
    });
    try {
      const res = await fetch(`${bad.url}/services`);
      expect(res.status).toBe(500);
      const { message } = (await res.json()) as { message: string };
      expect(message).toContain("cluster_mtls has an invalid value: 'nope' (shared, pki)");
      const fixed = await startManagedCp({
        dir: join(dir, "bad2"),
        bindings: { KONG_CLUSTER_CERT_KEY: "-----BEGIN PRIVATE KEY-----s3cr3t" },
      });
      try {
        const again = (await (await fetch(`${fixed.url}/services`)).json()) as { message: string };
        expect(again.message).toContain("KONG_CLUSTER_CERT");
        expect(again.message).toContain("admin_token must be set");
        expect(again.message).toContain("DATABASE_URL must be set");
        expect(again.message).not.toContain("s3cr3t");
      } finally {
        await fixed.close();
      }
      const mismatched = await startManagedCp({
        dir: join(dir, "bad3"),
        bindings: { ...bindings, KONG_CLUSTER_CERT_KEY: (await clusterCertificate(dir, "k")).keyPem },
      });
      try {
        const res = await fetch(`${mismatched.url}/services`, {
          headers: { "kong-admin-token": ADMIN_TOKEN },
        });
        expect(res.status).toBe(500);
        expect(await res.json()).toEqual({
          message:
            "invalid configuration: cluster_cert_key (KONG_CLUSTER_CERT_KEY): the key does not belong to cluster_cert (KONG_CLUSTER_CERT)",
        });
      } finally {
        await mismatched.close();
      }
    } finally {
      await bad.close();
    }
  });

  it("tells the operator to run the migrations when the database lacks the schema, with a 503", async () => {
    const empty = await freshPostgres({ migrate: false });
    const unmigrated = await startManagedCp({
      dir: join(dir, "unmigrated"),
      bindings: { ...bindings, DATABASE_URL: empty.url },
    });
    try {
      const res = await fetch(`${unmigrated.url}/services`, { headers: { "kong-admin-token": ADMIN_TOKEN } });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        message: "Database needs bootstrapping; run 'lintel migrations up' against DATABASE_URL",
      });
      const anonymous = await fetch(`${unmigrated.url}/services`);
      expect(anonymous.status).toBe(401);
    } finally {
      await unmigrated.close();
      await empty.drop();
    }
  });
});
