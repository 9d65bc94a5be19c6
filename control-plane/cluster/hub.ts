import { checkPlugins, checkVersion, type Incompatible } from "../../shared/cluster/compat";
import { type ReplayStore, verifyHandshake } from "../../shared/cluster/handshake";
import { type BasicInfo, PING_WAIT, parseDpMessage } from "../../shared/cluster/messages";
import { framesFor, MAX_MESSAGE } from "../../shared/cluster/snapshot-frames";
import type { TrustPolicy } from "../../shared/cluster/trust";
import type { MetricsWire } from "../../shared/metrics/metric-set";
import { isUuid } from "../../shared/schema/validate";
import { err, ok, type Result } from "../../shared/util/result";
import type { DataPlaneDirectory, SyncStatus } from "./data-planes";
import type { Snapshot } from "./publisher";

/** One DP connection, whatever carries it (a `ws` socket on Node, a hibernatable one on Workers). */
export interface DpSocket {
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
}

export type DpIdentity = {
  nodeId: string;
  hostname: string;
  version: string;
  ip: string;
  certExpiry?: number;
  /** DER of the certificate the DP proved it holds (the leaf of its handshake's chain). */
  certificate?: Uint8Array;
};

export type HubOptions = {
  store: DataPlaneDirectory;
  /** The Kong version this CP speaks (`3.10.0`): DPs are held to Kong's version rule against it. */
  cpVersion: string;
  trust: TrustPolicy;
  replay: ReplayStore;
  /** What DPs must put in their handshake's `aud`: the cluster server name. */
  audience: string;
  current: () => Snapshot | undefined;
  /** Expiry (seconds since the epoch) of a DP's certificate, for `cert_details`. */
  certificateExpiry?: (der: Uint8Array) => number | undefined;
  /**
   * Called with a session's state whenever it changes (and with undefined when it ends), for a
   * host that must be able to `resume` sessions after losing its memory: the managed CP's Hub
   * Durable Object, whose sockets outlive a hibernation.
   */
  saveSession?: (socket: DpSocket, state: SessionState | undefined) => void;
  log: (message: string) => void;
  now?: () => number;
};

/** What the Hub knows of one connected DP, apart from its socket. */
export type SessionState = Omit<DpIdentity, "certificate"> & {
  greeted: boolean;
  basicInfo?: BasicInfo;
  configHash: string;
  lastSeen: number;
  /** Why this DP is not sent the current config, if it is not. */
  incompatible?: Incompatible;
  /** What the DP's active health checks last found, by target (`upstream id|host:port`). */
  health?: Record<string, "HEALTHY" | "UNHEALTHY">;
};

/**
 * A connected DP. Its metrics are not part of the saved state: every ping carries them whole, so
 * a Hub that resumes from a hibernation has them back with the ping that woke it.
 */
type Session = SessionState & { socket: DpSocket; metrics?: MetricsWire };

/** What one connected DP reports of its prometheus metrics. */
export type DataPlaneMetrics = { nodeId: string; metrics: MetricsWire };

export type SessionHandlers = { onMessage(data: string): void; onClose(): void };

const EMPTY_HASH = "0".repeat(32);
/** How long a DP has, once connected, to send its `basic_info`. */
const GREETING_WAIT = 5000;

/**
 * The CP side of the cluster protocol: authenticates DPs, sends each the current snapshot, records
 * what every DP reports and pushes new snapshots to all of them.
 */
export class Hub {
  private readonly sessions = new Set<Session>();
  private readonly now: () => number;

  constructor(private opts: HubOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A rotation: DPs connecting from now on are checked against this policy. */
  setTrust(trust: TrustPolicy): void {
    this.opts = { ...this.opts, trust };
  }

  get connected(): number {
    return this.sessions.size;
  }

  /**
   * Checks the upgrade request of `/v1/outlet`. The failure reason is for the log; on the wire
   * every failure is the same 401.
   */
  async authenticate(
    url: URL,
    authorization: string | null,
    ip: string,
  ): Promise<Result<DpIdentity, string>> {
    const nodeId = url.searchParams.get("node_id");
    const hostname = url.searchParams.get("node_hostname") ?? "";
    const version = url.searchParams.get("node_version");
    if (!nodeId || !isUuid(nodeId)) return err("data plane didn't pass a valid node_id");
    if (!version) return err("data plane didn't pass the version");
    const token = authorization?.replace(/^Bearer\s+/i, "");
    if (!token) return err("data plane presented no handshake token");
    const verified = await verifyHandshake(token, {
      audience: this.opts.audience,
      now: this.now(),
      trust: this.opts.trust,
      replay: this.opts.replay,
    });
    if (!verified.ok) {
      const e = verified.error;
      // an OCSP refusal in Kong's words, which operators grep their logs for
      if (e.reason === "untrusted" && e.detail.reason === "ocsp") return err(e.detail.message);
      return err(`data plane handshake refused: ${JSON.stringify(e)}`);
    }
    if (verified.value.claims.node_id !== nodeId) {
      return err(
        `data plane handshake refused: token is for node ${verified.value.claims.node_id}, not ${nodeId}`,
      );
    }
    const leaf = verified.value.chain[0];
    const certExpiry = leaf ? this.opts.certificateExpiry?.(leaf) : undefined;
    return ok({ nodeId: nodeId.toLowerCase(), hostname, version, ip, certExpiry, certificate: leaf });
  }

  /** A DP passed `authenticate` and its socket is open. */
  attach(identity: DpIdentity, socket: DpSocket): SessionHandlers {
    const { certificate: _proven, ...rest } = identity;
    const session: Session = {
      ...rest,
      socket,
      greeted: false,
      configHash: EMPTY_HASH,
      lastSeen: this.now(),
    };
    this.save(session);
    return this.handlers(session);
  }

  /** A session whose socket outlived the Hub's memory (a hibernated Durable Object woken up). */
  resume(state: SessionState, socket: DpSocket): SessionHandlers {
    const session: Session = { ...state, socket };
    if (session.greeted) this.sessions.add(session);
    return this.handlers(session);
  }

  private save(session: Session): void {
    if (!this.opts.saveSession) return;
    const { socket, ...state } = session;
    this.opts.saveSession(socket, state);
  }

  private handlers(session: Session): SessionHandlers {
    const socket = session.socket;
    const greetTimer = setTimeout(
      () => {
        if (!session.greeted) socket.close(1008, "no basic_info received");
      },
      Math.max(0, session.lastSeen + GREETING_WAIT - this.now()),
    );
    return {
      onMessage: (data) => {
        const message = parseDpMessage(data);
        if (!message) {
          this.opts.log(`[lintel] cluster: invalid frame from data plane ${session.nodeId}; closing`);
          socket.close(1003, "invalid frame");
          return;
        }
        session.lastSeen = this.now();
        if (message.type === "basic_info") {
          if (session.greeted) return;
          session.greeted = true;
          clearTimeout(greetTimer);
          session.basicInfo = message;
          const version = checkVersion(this.opts.cpVersion, session.version);
          if (!version.ok) {
            session.incompatible = version.error;
            this.opts.log(
              `[lintel] cluster: ${version.error.message}; closing the connection of ${session.nodeId}`,
            );
            void this.record(session);
            socket.close(1008, "kong_version_incompatible");
            return;
          }
          this.sessions.add(session);
          this.opts.log(
            `[lintel] cluster: data plane ${session.nodeId} (${session.hostname}, ${session.ip}) connected`,
          );
          const snapshot = this.opts.current();
          if (snapshot) this.send(session, snapshot);
          void this.record(session);
          return;
        }
        if (!session.greeted) {
          socket.close(1008, "basic_info must come first");
          return;
        }
        session.configHash = message.config_hash;
        if (message.health) session.health = message.health;
        if (message.metrics) session.metrics = message.metrics;
        if (message.error) {
          this.opts.log(
            `[lintel] cluster: data plane ${session.nodeId} refused a snapshot: ${JSON.stringify(message.error)}`,
          );
        }
        socket.send(JSON.stringify({ type: "pong" }));
        void this.record(session);
      },
      onClose: () => {
        clearTimeout(greetTimer);
        this.opts.saveSession?.(socket, undefined);
        if (this.sessions.delete(session)) {
          this.opts.log(`[lintel] cluster: data plane ${session.nodeId} disconnected`);
        }
      },
    };
  }

  /** Sends a new snapshot to every connected DP that can run it. */
  publish(snapshot: Snapshot): void {
    for (const s of this.sessions) {
      const before = s.incompatible?.status;
      this.send(s, snapshot);
      if (s.incompatible?.status !== before) void this.record(s);
    }
  }

  /**
   * Sends a snapshot unless the config uses a plugin the DP lacks (Kong's rule): such a DP keeps
   * its last config and is listed with the reason.
   */
  private send(session: Session, snapshot: Snapshot): void {
    const plugins = checkPlugins(snapshot.plugins, session.basicInfo?.plugins ?? []);
    if (!plugins.ok) {
      if (session.incompatible?.message !== plugins.error.message) {
        this.opts.log(
          `[lintel] cluster: unable to send updated configuration to ${session.nodeId}: ${plugins.error.message}`,
        );
      }
      session.incompatible = plugins.error;
      return;
    }
    session.incompatible = undefined;
    try {
      // in frames to a DP that takes them; whole (as before frames) to one that does not say so
      const frames = framesFor(snapshot.bytes, session.basicInfo?.snapshot_frames === true);
      if (!frames) {
        this.opts.log(
          `[lintel] cluster: unable to send updated configuration to ${session.nodeId}: ${snapshot.bytes.length} bytes is more than one message carries (${MAX_MESSAGE}), and this data plane does not take snapshots in frames; upgrade it`,
        );
        return;
      }
      for (const frame of frames) session.socket.send(frame);
    } catch (e) {
      this.opts.log(`[lintel] cluster: sending to ${session.nodeId} failed: ${e}`);
    }
  }

  /** Closes the sockets of DPs that stopped pinging (Kong's PING_WAIT). */
  reap(): void {
    const limit = this.now() - PING_WAIT * 1000;
    for (const s of this.sessions) {
      if (s.lastSeen < limit) {
        this.opts.log(`[lintel] cluster: no ping from data plane ${s.nodeId} within ${PING_WAIT} seconds`);
        s.socket.close(1001, "ping timeout");
        this.sessions.delete(s);
        this.opts.saveSession?.(s.socket, undefined);
      }
    }
  }

  /** What the connected DPs report of each target's health. */
  targetHealth(): Record<string, Array<{ id: string; health: "HEALTHY" | "UNHEALTHY" }>> {
    const out: Record<string, Array<{ id: string; health: "HEALTHY" | "UNHEALTHY" }>> = {};
    for (const s of this.sessions) {
      for (const [key, health] of Object.entries(s.health ?? {})) {
        const list = out[key] ?? [];
        list.push({ id: s.nodeId, health });
        out[key] = list;
      }
    }
    return out;
  }

  /** The prometheus metrics each connected DP last sent. */
  dataPlaneMetrics(): DataPlaneMetrics[] {
    const out: DataPlaneMetrics[] = [];
    for (const s of this.sessions) if (s.metrics) out.push({ nodeId: s.nodeId, metrics: s.metrics });
    return out;
  }

  closeAll(): void {
    for (const s of this.sessions) s.socket.close(1001, "control plane shutting down");
    this.sessions.clear();
  }

  private syncStatus(session: Session): SyncStatus {
    if (session.incompatible) return session.incompatible.status;
    const current = this.opts.current()?.manifest.config_hash;
    return current !== undefined && session.configHash === current ? "normal" : "unknown";
  }

  private async record(session: Session): Promise<void> {
    this.save(session);
    try {
      await this.opts.store.upsert({
        id: session.nodeId,
        hostname: session.hostname,
        ip: session.ip,
        last_seen: Math.floor(session.lastSeen / 1000),
        config_hash: session.configHash,
        version: session.version,
        sync_status: this.syncStatus(session),
        labels: session.basicInfo?.labels ?? null,
        cert_details: session.certExpiry ? { expiry_timestamp: session.certExpiry } : null,
      });
    } catch (e) {
      this.opts.log(`[lintel] cluster: recording data plane ${session.nodeId} failed: ${e}`);
    }
  }
}
