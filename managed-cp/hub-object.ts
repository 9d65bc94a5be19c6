import { DurableObject } from "cloudflare:workers";
import type { DataPlanePage } from "../control-plane/cluster/data-planes";
import {
  type DataPlaneMetrics,
  type DpSocket,
  Hub,
  type SessionHandlers,
  type SessionState,
} from "../control-plane/cluster/hub";
import { Publisher, type Snapshot } from "../control-plane/cluster/publisher";
import { createDaos } from "../control-plane/dao";
import { SnapshotStore } from "../edge-dp/snapshot-store";
import { describeKeyError, loadClusterTrust } from "../shared/cluster/cluster-trust";
import { CLUSTER_AUDIENCE } from "../shared/cluster/handshake";
import { certificateExpiry } from "../shared/cluster/pki";
import { sha256Hex } from "../shared/util/bytes";
import { LatestOnly } from "../shared/util/latest-only";
import { KONG_VERSION } from "../shared/version";
import { StorageDataPlanes } from "./data-plane-storage";
import { type Connection, connect } from "./db";
import { CLUSTER_KEY_NAMES, type CpConf, cpConf, type Env } from "./env";
import { StorageReplay } from "./replay-storage";

/** Headers the managed CP's Worker sets on a DP's upgrade request (anything a client sent is dropped). */
export const PEER_IP_HEADER = "x-lintel-peer-ip";
export const CLIENT_CERT_HEADER = "x-lintel-client-cert-sha256";

type Socket = DpSocket & { key: string };
type KeptInfo = { plugins: Snapshot["plugins"]; kid: string };

type Core = {
  conf: CpConf;
  hub: Hub;
  publisher: Publisher;
  dataPlanes: StorageDataPlanes;
  replay: StorageReplay;
  connection: Connection;
};

/**
 * The managed CP's Hub: one Durable Object holding every DP's WebSocket through the Hibernation
 * API, the signed snapshot and what each DP reports. It sleeps while nothing happens; sockets,
 * sessions, the snapshot and the DP list survive in its storage, so a woken Hub serves DPs without
 * waiting for the database.
 */
export class ControlPlaneHub extends DurableObject<Env> {
  private core: Core | undefined;
  /** Whether the snapshot in hand has not been checked against the database since the Hub woke. */
  private stale = false;
  private readonly handlers = new Map<WebSocket, SessionHandlers>();
  private readonly snapshots: SnapshotStore;
  /**
   * The newest snapshot, stored for the next wake once the Hub has served it: its sends and the
   * calls waiting on it go first (storing a large one takes a tenth of a second of the Hub's
   * thread), and two stores never interleave (each reads the last one's number).
   */
  private readonly keeper = new LatestOnly<{ snapshot: Snapshot; kid: string }>(
    ({ snapshot, kid }) => this.keep(snapshot, kid),
    (e) => console.error(`[lintel] cluster: storing the snapshot failed: ${e}`),
  );

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.snapshots = new SnapshotStore(ctx.storage);
    void ctx.blockConcurrencyWhile(() => this.wake());
  }

  /** The DP's upgrade request, forwarded by the Worker. */
  override async fetch(request: Request): Promise<Response> {
    const core = this.core;
    if (!core) return Response.json({ message: "An unexpected error occurred" }, { status: 500 });
    const ip = request.headers.get(PEER_IP_HEADER) ?? "";
    const identity = await core.hub.authenticate(
      new URL(request.url),
      request.headers.get("authorization"),
      ip,
    );
    const refuse = (why: string) => {
      console.error(`[lintel] cluster: refused ${ip}: ${why}`);
      return Response.json({ message: "Unauthorized" }, { status: 401 });
    };
    if (!identity.ok) return refuse(identity.error);
    // Cloudflare's mTLS: the client certificate of the TLS connection must be the one the
    // handshake proves, as on the Node CP's TLS listener.
    const presented = request.headers.get(CLIENT_CERT_HEADER);
    if (presented !== null) {
      const proven = identity.value.certificate;
      const digest = proven ? await sha256Hex(proven) : "";
      if (digest !== presented.toLowerCase()) {
        return refuse("the TLS client certificate is not the one the handshake proves");
      }
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const key = crypto.randomUUID();
    server.serializeAttachment(key);
    this.ctx.acceptWebSocket(server);
    this.handlers.set(server, core.hub.attach(identity.value, this.socket(server, key)));
    if (this.stale) {
      this.stale = false;
      void this.refresh(core);
    }
    await this.keepAwake(core);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const session = this.handlers.get(ws);
    if (!session) return close(ws, 1011, "session lost");
    if (typeof message !== "string")
      return close(ws, 1003, "binary frames are not expected from a data plane");
    try {
      session.onMessage(message);
    } catch (e) {
      // nothing a DP sends may take the Hub down
      console.error(`[lintel] cluster: frame failed: ${e instanceof Error ? e.message : e}`);
      close(ws, 1011, "internal error");
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.ended(ws);
    close(ws, code === 1005 || code === 1006 ? 1000 : code, "closing");
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.ended(ws);
  }

  /**
   * Every `db_update_frequency` while DPs are connected: writes made outside this Worker (a Node
   * CP on the same database, `lintel config db_import`) are found, silent DPs are dropped and old
   * token ids forgotten.
   */
  override async alarm(): Promise<void> {
    const core = this.core;
    if (!core) return;
    await this.refresh(core);
    core.hub.reap();
    await core.replay.sweep(Math.floor(Date.now() / 1000));
    await this.keepAwake(core);
  }

  /** An Admin API write committed: publish a new snapshot. */
  async changed(): Promise<void> {
    await this.core?.publisher.schedule();
  }

  /** The config hash the cluster publishes. */
  async currentHash(): Promise<string | undefined> {
    const core = this.core;
    if (!core) return undefined;
    if (!core.publisher.snapshot) await core.publisher.schedule();
    return core.publisher.snapshot?.manifest.config_hash;
  }

  /** What the connected DPs report of each target's health. */
  /** The prometheus metrics the connected DPs last sent (`/metrics`). */
  async dataPlaneMetrics(): Promise<DataPlaneMetrics[]> {
    return this.core?.hub.dataPlaneMetrics() ?? [];
  }

  async targetHealth(): Promise<Record<string, Array<{ id: string; health: "HEALTHY" | "UNHEALTHY" }>>> {
    return this.core?.hub.targetHealth() ?? {};
  }

  async dataPlanes(size: number, after: string | undefined, now: number): Promise<DataPlanePage> {
    const core = this.core;
    if (!core) return { data: [] };
    return core.dataPlanes.page(size, after, now, await this.currentHash());
  }

  private async wake(): Promise<void> {
    const conf = cpConf(this.env);
    if (!conf.ok) {
      console.error(`[lintel] cluster: invalid configuration: ${conf.error.join("; ")}`);
      return;
    }
    const c = conf.value;
    const trust = await loadClusterTrust({
      mtls: c.cluster_mtls,
      certPem: c.cluster_cert,
      keyPem: c.cluster_cert_key,
      trustedCertsPem: c.cluster_trusted_certs,
      caCertPem: c.cluster_ca_cert,
      ocsp: c.cluster_ocsp,
      warn: (m) => console.error(m),
    });
    if (!trust.ok) {
      console.error(`[lintel] cluster: ${describeKeyError(trust.error, CLUSTER_KEY_NAMES)}`);
      return;
    }
    // an idle connection would keep the Hub from hibernating
    const connection = connect(c.databaseUrl, c.webSocketProxy, { who: "hub", idleMs: 1000 });
    const dataPlanes = new StorageDataPlanes(this.ctx.storage, c.cluster_data_plane_purge_delay);
    const replay = new StorageReplay(this.ctx.storage);
    let publisher: Publisher | undefined;
    const hub = new Hub({
      store: dataPlanes,
      cpVersion: KONG_VERSION,
      trust: trust.value.policy,
      replay,
      audience: CLUSTER_AUDIENCE,
      current: () => publisher?.snapshot,
      certificateExpiry,
      saveSession: (socket, state) => {
        const key = `session:${(socket as Socket).key}`;
        void (state ? this.ctx.storage.put(key, state) : this.ctx.storage.delete(key));
      },
      log: (m) => console.error(m),
    });
    publisher = new Publisher({
      db: connection.db,
      read: connection.read,
      daos: createDaos(connection.db, () => {}),
      identity: trust.value.identity,
      kid: trust.value.kid,
      cpId: this.ctx.id.toString(),
      pollInterval: 0,
      maxPayload: c.cluster_max_payload,
      // an isolate has 128 MB: at 130k entities the hash bytes would keep 27 MB more (BENCHMARKS.md)
      keepHashBytes: false,
      onSnapshot: (s) => {
        hub.publish(s);
        this.keeper.offer({ snapshot: s, kid: trust.value.kid });
      },
      log: (m) => console.error(m),
    });
    this.core = { conf: c, hub, publisher, dataPlanes, replay, connection };

    const kept = await this.kept(trust.value.kid);
    if (kept) publisher.restore(kept);
    this.stale = true;
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) {
      const key = ws.deserializeAttachment() as string;
      const state = await this.ctx.storage.get<SessionState>(`session:${key}`);
      if (!state) {
        close(ws, 1011, "session lost");
        continue;
      }
      this.handlers.set(ws, hub.resume(state, this.socket(ws, key)));
    }
    if (sockets.length)
      console.log(`[lintel] cluster: hub woke; ${this.handlers.size} data plane connections resumed`);
  }

  /** Brings the snapshot up to date with the database (a new one goes to every DP). */
  private async refresh(core: Core): Promise<void> {
    try {
      if (core.publisher.snapshot) await core.publisher.poll();
      else await core.publisher.schedule();
    } catch (e) {
      console.error(`[lintel] cluster: reading the config failed: ${e}`);
    }
  }

  private socket(ws: WebSocket, key: string): Socket {
    return {
      key,
      send: (data) => ws.send(data),
      close: (code, reason) => close(ws, code, reason),
    };
  }

  private ended(ws: WebSocket): void {
    this.handlers.get(ws)?.onClose();
    this.handlers.delete(ws);
  }

  /** Polls while DPs are connected; with none, the Hub may sleep. */
  private async keepAwake(core: Core): Promise<void> {
    if (this.ctx.getWebSockets().length === 0) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + core.conf.db_update_frequency * 1000);
    }
  }

  /** The snapshot as signed, and what a DP must have to run it, kept for the next wake. */
  private async keep(snapshot: Snapshot, kid: string): Promise<void> {
    await this.snapshots.write(snapshot.manifest, snapshot.bytes);
    await this.ctx.storage.put("snapshot:info", { plugins: snapshot.plugins, kid } satisfies KeptInfo);
  }

  /** The kept snapshot, unless it was signed with a key the cluster no longer uses. */
  private async kept(kid: string): Promise<Snapshot | undefined> {
    const info = await this.ctx.storage.get<KeptInfo>("snapshot:info");
    if (info?.kid !== kid) return undefined;
    const stored = await this.snapshots.read();
    return stored ? { ...stored, plugins: info.plugins } : undefined;
  }
}

function close(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}
