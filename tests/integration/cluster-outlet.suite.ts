import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { signHandshake } from "../../shared/cluster/handshake";
import type { ClusterIdentity } from "../../shared/cluster/keys";
import { SNAPSHOT_FRAME, SnapshotAssembler } from "../../shared/cluster/snapshot-frames";
import { openSnapshot } from "../../shared/snapshot/codec";
import { waitFor } from "../helpers/wait";

type Dp = { ws: WebSocket; frames: Array<string | Buffer>; status?: number };

/** A control plane under test: the Node CP or the managed CP Worker, each on the real Postgres. */
export type ClusterUnderTest = {
  /** `ws://host:port` of `/v1/outlet`. */
  clusterBase: string;
  /** A request to the Admin API, with whatever credentials it needs. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  cluster: ClusterIdentity;
  stranger: ClusterIdentity;
  close(): Promise<void>;
};

/**
 * The cluster protocol with real sockets: a Node WebSocket client stands in for a DP and speaks
 * the protocol by hand. Every case runs against each kind of control plane.
 */
export function clusterOutletSuite(start: () => Promise<ClusterUnderTest>): void {
  let cp: ClusterUnderTest;
  let cluster: ClusterIdentity;
  let strangerIdentity: ClusterIdentity;
  const open: WebSocket[] = [];

  beforeAll(async () => {
    cp = await start();
    cluster = cp.cluster;
    strangerIdentity = cp.stranger;
  });

  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await cp?.close();
  });

  async function connect(
    who: ClusterIdentity,
    opts: { nodeId?: string; token?: string; query?: string } = {},
  ): Promise<Dp> {
    const nodeId = opts.nodeId ?? randomUUID();
    const token =
      opts.token ??
      (await signHandshake(who, {
        node_id: nodeId,
        aud: "kong_clustering",
        now: Date.now(),
        jti: randomUUID(),
      }));
    const query = opts.query ?? `node_id=${nodeId}&node_hostname=test-dp&node_version=3.10.0`;
    const ws = new WebSocket(`${cp.clusterBase}/v1/outlet?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    open.push(ws);
    const dp: Dp = { ws, frames: [] };
    ws.on("message", (data, binary) => dp.frames.push(binary ? (data as Buffer) : data.toString()));
    await new Promise<void>((resolve) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => {
        dp.status = res.statusCode;
        resolve();
      });
      ws.once("error", () => resolve());
    });
    return dp;
  }

  const snapshots = (dp: Dp) => dp.frames.filter((f): f is Buffer => typeof f !== "string");

  it("accepts a DP holding the cluster key, sends it the snapshot after basic_info, lists it with cert details (09-hybrid_mode/01-sync_spec.lua:59, 81, 894)", async () => {
    const dp = await connect(cluster);
    expect(dp.status).toBeUndefined();
    dp.ws.send(JSON.stringify({ type: "basic_info", plugins: [] }));
    const [first] = await waitFor("a snapshot", () => (snapshots(dp).length ? snapshots(dp) : undefined));
    const opened = await openSnapshot(new Uint8Array(first as Buffer), {
      signers: [cluster.chain[0] as Uint8Array],
      maxPayload: 16 << 20,
    });
    expect(opened.ok).toBe(true);

    const hash = opened.ok ? opened.value.manifest.config_hash : "";
    dp.ws.send(JSON.stringify({ type: "ping", config_hash: hash }));
    await waitFor("a pong", () => (dp.frames.includes('{"type":"pong"}') ? true : undefined));
    const list = await waitFor("the DP in the list", async () => {
      const l = await (await cp.admin("/clustering/data-planes")).json();
      return l.data.length === 1 && l.data[0].sync_status === "normal" ? l : undefined;
    });
    expect(list.data[0]).toMatchObject({ hostname: "test-dp", version: "3.10.0", config_hash: hash });
    expect(list.data[0].cert_details.expiry_timestamp).toBeGreaterThan(Date.now() / 1000);
    expect(list.data[0].ttl).toBeGreaterThan(1209590);
    const legacy = await cp.admin("/clustering/status");
    expect(legacy.headers.get("deprecation")).toBe("true");
    expect(Object.values(await legacy.json())).toEqual([
      { config_hash: hash, hostname: "test-dp", ip: expect.any(String), last_seen: expect.any(Number) },
    ]);
  });

  it("pushes a newer snapshot to connected DPs after an Admin API write", async () => {
    const dp = await connect(cluster);
    dp.ws.send(JSON.stringify({ type: "basic_info", plugins: [] }));
    await waitFor("the first snapshot", () => (snapshots(dp).length === 1 ? true : undefined));
    const res = await cp.admin("/services", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "pushed", host: "pushed.test" }),
    });
    expect(res.status).toBe(201);
    const frames = await waitFor("a second snapshot", () =>
      snapshots(dp).length >= 2 ? snapshots(dp) : undefined,
    );
    const signers = [cluster.chain[0] as Uint8Array];
    const a = await openSnapshot(new Uint8Array(frames[0] as Buffer), { signers, maxPayload: 16 << 20 });
    const b = await openSnapshot(new Uint8Array(frames.at(-1) as Buffer), { signers, maxPayload: 16 << 20 });
    if (!a.ok || !b.ok) throw new Error("snapshots must verify");
    expect(b.value.manifest.version).toBeGreaterThan(a.value.manifest.version);
    expect(b.value.envelope.config.services?.map((s) => s.name)).toContain("pushed");
  });

  it("serves the metrics a DP sends in its pings on /metrics, under the DP's node id; malformed metrics close the DP", async () => {
    const nodeId = randomUUID();
    const dp = await connect(cluster, { nodeId });
    dp.ws.send(JSON.stringify({ type: "basic_info", plugins: [] }));
    await waitFor("a snapshot", () => (snapshots(dp).length ? true : undefined));
    const series = JSON.stringify(["kong_http_requests_total", "svc", "rt", "200", "service", "default", ""]);
    const ping = (metrics: unknown) =>
      dp.ws.send(JSON.stringify({ type: "ping", config_hash: "0".repeat(32), metrics }));
    ping({ [series]: [7] });
    const line = `kong_http_requests_total{service="svc",route="rt",code="200",source="service",workspace="default",consumer="",node_id="${nodeId}"} 7`;
    const text = await waitFor("the DP's series", async () => {
      const body = await (await cp.admin("/metrics")).text();
      return body.split("\n").includes(line) ? body : undefined;
    });
    expect(text).toContain("# TYPE kong_http_requests_total counter");
    ping({ [series]: [1, 2] }); // a counter has one value
    await waitFor("the DP to be closed", () => (dp.ws.readyState === WebSocket.CLOSED ? true : undefined));
  });

  it("refuses a DP whose certificate is not the cluster's, with a bare 401", async () => {
    const dp = await connect(strangerIdentity);
    expect(dp.status).toBe(401);
  });

  it("refuses a replayed handshake token", async () => {
    const nodeId = randomUUID();
    const token = await signHandshake(cluster, {
      node_id: nodeId,
      aud: "kong_clustering",
      now: Date.now(),
      jti: randomUUID(),
    });
    const first = await connect(cluster, { nodeId, token });
    expect(first.status).toBeUndefined();
    const again = await connect(cluster, { nodeId, token });
    expect(again.status).toBe(401);
  });

  it("refuses a token made for another node id, and a missing node_id", async () => {
    const token = await signHandshake(cluster, {
      node_id: randomUUID(),
      aud: "kong_clustering",
      now: Date.now(),
      jti: randomUUID(),
    });
    expect((await connect(cluster, { token })).status).toBe(401);
    expect((await connect(cluster, { query: "node_version=3.10.0" })).status).toBe(401);
  });

  it("closes a DP whose basic_info is malformed, and stays up", async () => {
    for (const info of [{ plugins: [null] }, { plugins: [{ name: 1 }] }, { plugins: [], labels: { a: 1 } }]) {
      const dp = await connect(cluster);
      const closed = new Promise<number>((r) => dp.ws.once("close", (code) => r(code)));
      dp.ws.send(JSON.stringify({ type: "basic_info", ...info }));
      expect(await closed).toBe(1003);
    }
    expect((await cp.admin("/status")).status).toBe(200);
  });

  it("closes a DP that sends something other than basic_info first", async () => {
    const dp = await connect(cluster);
    const closed = new Promise<number>((r) => dp.ws.once("close", (code) => r(code)));
    dp.ws.send(JSON.stringify({ type: "ping", config_hash: "0".repeat(32) }));
    expect(await closed).toBe(1008);
  });

  it("closes a DP of an incompatible Kong version and lists it so (09-hybrid_mode/09-config-compat_spec.lua)", async () => {
    const nodeId = randomUUID();
    const dp = await connect(cluster, {
      nodeId,
      query: `node_id=${nodeId}&node_hostname=old-dp&node_version=3.11.0`,
    });
    const closed = new Promise<number>((r) => dp.ws.once("close", (code) => r(code)));
    dp.ws.send(JSON.stringify({ type: "basic_info", plugins: [] }));
    expect(await closed).toBe(1008);
    const row = await waitFor("the DP to be listed", async () => {
      const l = await (await cp.admin("/clustering/data-planes?size=1000")).json();
      return l.data.find((d: { id: string }) => d.id === nodeId);
    });
    expect(row.sync_status).toBe("kong_version_incompatible");
  });

  it("sends a config using a plugin only to DPs that have it; the others keep theirs and say why", async () => {
    const without = await connect(cluster);
    without.ws.send(JSON.stringify({ type: "basic_info", plugins: [] }));
    const withIt = await connect(cluster);
    withIt.ws.send(
      JSON.stringify({ type: "basic_info", plugins: [{ name: "key-auth", version: "3.10.0" }] }),
    );
    await waitFor("both first snapshots", () =>
      snapshots(without).length && snapshots(withIt).length ? true : undefined,
    );
    const res = await cp.admin("/plugins", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "key-auth" }),
    });
    expect(res.status).toBe(201);
    await waitFor("the capable DP's new snapshot", () => (snapshots(withIt).length >= 2 ? true : undefined));
    const pingWithout = () => without.ws.send(JSON.stringify({ type: "ping", config_hash: "0".repeat(32) }));
    pingWithout();
    const listed = await waitFor("the other DP's status", async () => {
      const l = await (await cp.admin("/clustering/data-planes?size=1000")).json();
      return l.data.find((d: { sync_status: string }) => d.sync_status === "plugin_set_incompatible");
    });
    expect(listed).toBeTruthy();
    expect(snapshots(without)).toHaveLength(1);
  });

  // last: the config is large from here on
  it("sends a snapshot larger than one frame as a header and frames of at most 1 MiB; put back together, it verifies", async () => {
    // consumers with tags of random hex (which gzip halves at best): over 2 MiB as sent
    for (let i = 0; i < 16; i++) {
      const res = await cp.admin("/consumers", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          username: `framed-${i}`,
          tags: [randomBytes(150 * 1024).toString("hex")],
        }),
      });
      expect(res.status).toBe(201);
    }
    const dp = await connect(cluster);
    // an earlier case added key-auth: a DP without it would be sent nothing
    const plugins = [{ name: "key-auth", version: "3.10.0" }];
    dp.ws.send(JSON.stringify({ type: "basic_info", plugins, snapshot_frames: true }));
    // a DP that does not say it takes frames gets each snapshot whole, as before frames
    const whole1 = await connect(cluster);
    whole1.ws.send(JSON.stringify({ type: "basic_info", plugins }));
    const signers = [cluster.chain[0] as Uint8Array];
    // the first snapshot may be from before the last writes: the one with every consumer follows
    const whole = await waitFor("the snapshot with every consumer", async () => {
      const assembler = new SnapshotAssembler(48 << 20);
      let last: Uint8Array[] | undefined;
      for (const f of dp.frames) {
        const got = typeof f === "string" ? assembler.text(f) : assembler.binary(new Uint8Array(f));
        if (got && "refused" in got) throw new Error(`frames refused: ${JSON.stringify(got.refused)}`);
        if (got) last = got.snapshot;
      }
      if (!last) return undefined;
      const opened = await openSnapshot(last, { signers, maxPayload: 48 << 20 });
      if (!opened.ok) throw new Error(`the snapshot must verify: ${JSON.stringify(opened.error)}`);
      const consumers = opened.value.envelope.config.consumers ?? [];
      return consumers.filter((c) => String(c.username).startsWith("framed-")).length === 16
        ? last
        : undefined;
    });
    expect(whole.reduce((n, f) => n + f.length, 0)).toBeGreaterThan(2 * SNAPSHOT_FRAME);
    // each snapshot: its header, then as many frames of at most SNAPSHOT_FRAME as its length takes
    for (let i = 0; i < dp.frames.length; ) {
      const header = JSON.parse(String(dp.frames[i]));
      expect(header).toEqual({ type: "snapshot", bytes: expect.any(Number) });
      const count = Math.ceil(header.bytes / SNAPSHOT_FRAME);
      const frames = dp.frames.slice(i + 1, i + 1 + count);
      expect(frames.every((f) => typeof f !== "string" && f.length <= SNAPSHOT_FRAME)).toBe(true);
      expect(frames.reduce((n, f) => n + f.length, 0)).toBe(header.bytes);
      i += 1 + count;
    }
    await waitFor("the whole snapshot", () => (snapshots(whole1).length ? true : undefined));
    expect(whole1.frames.every((f) => typeof f !== "string" && f.length > SNAPSHOT_FRAME)).toBe(true);
    const unframed = await openSnapshot(new Uint8Array(snapshots(whole1).at(-1) as Buffer), {
      signers,
      maxPayload: 48 << 20,
    });
    expect(unframed.ok).toBe(true);
  });
}
