import { DurableObject } from "cloudflare:workers";
import { ActiveHealth, type UpstreamWithChecks } from "../shared/balancer/active-health";
import type { TargetEntity } from "../shared/balancer/balancer";
import { CLUSTER_AUDIENCE, signHandshake } from "../shared/cluster/handshake";
import { type ClusterIdentity, loadClusterIdentity } from "../shared/cluster/keys";
import { PING_INTERVAL, type Ping } from "../shared/cluster/messages";
import { SnapshotAssembler } from "../shared/cluster/snapshot-frames";
import type { MetricsWire } from "../shared/metrics/metric-set";
import { pluginDefinition } from "../shared/plugins/definitions";
import { HANDLERS } from "../shared/plugins/runtime/pipeline";
import { type OpenError, openSnapshot } from "../shared/snapshot/codec";
import type { Manifest } from "../shared/snapshot/envelope";
import type { Pieces } from "../shared/util/pieces";
import { KONG_VERSION, LINTEL_VERSION } from "../shared/version";
import { reconnectDelay } from "./backoff";
import { ColdIndex, openAndIndex, storesConsumers } from "./cold-index";
import { ConfigCache } from "./config-cache";
import { type DpConf, dpConf, type Env } from "./env";
import { probeTarget } from "./health-probe";
import { NodeMetrics } from "./node-metrics";
import { SnapshotStore } from "./snapshot-store";
import { snapshotTrust } from "./snapshot-trust";
import type { StoredRows } from "./stored-consumers";

const EMPTY_HASH = "0".repeat(32);
/** The plugins this data plane runs, as it tells the CP (Kong's basic_info). */
const RUNNABLE_PLUGINS = HANDLERS.map((h) => ({
  name: h.name,
  version: pluginDefinition(h.name)?.version ?? KONG_VERSION,
}));
/** How often the alarm checks the connection and pings. */
const TICK_MS = 5_000;

export type CurrentConfig = {
  version: number;
  config_hash: string;
  /** How many consumers and credentials the config has, and their JSON's length (`storesConsumers`). */
  cold_entities: number;
  cold_size: number;
  /** Targets under active health checks, by key: whether each is healthy. */
  health: Record<string, boolean>;
};

/**
 * The data plane node: one per colo. It holds the connection to the control plane, verifies every
 * snapshot before it keeps it, stores the newest, and answers its isolates. It never applies an
 * older version than the one it has.
 */
export class DataPlaneNode extends DurableObject<Env> {
  private readonly store: SnapshotStore;
  /** A large config's consumers and credentials, for isolates to look up. */
  private readonly cold: ColdIndex;
  /** Rebuilding the index (a node that started without one for its config). */
  private indexing: Promise<void> | undefined;
  private current: Manifest | undefined;
  private nodeId = "";
  private name = "local";
  private socket: WebSocket | undefined;
  private connecting: Promise<void> | undefined;
  private attempts = 0;
  /** No new dial before this time (ms), whoever asks: the back-off holds under traffic too. */
  private nextDialAt = 0;
  private lastPing = 0;
  private identity: ClusterIdentity | undefined;
  private initError: unknown;
  /** Frames are read one at a time, in arrival order (a frame may come as a Blob, read async). */
  private reading: Promise<void> = Promise.resolve();
  /**
   * Snapshots are applied one at a time, in arrival order, so an older one never lands last. One
   * that arrives while another is applied waits here, and a newer one takes its place: the node
   * holds at most the snapshot it applies and the next (a large config under many writes would
   * otherwise queue one snapshot per write), and goes straight to the newest.
   */
  private next: { bytes: Pieces; conf: DpConf } | undefined;
  private applying: Promise<void> | undefined;
  /** Active health checks of the current config's upstreams, probed from the alarm. */
  private health: ActiveHealth | undefined;
  /** The prometheus plugin's metrics of every isolate of the colo. */
  private readonly metrics: NodeMetrics;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SnapshotStore(ctx.storage);
    this.cold = new ColdIndex(ctx.storage.sql);
    this.metrics = new NodeMetrics(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      try {
        this.current = (await this.store.meta())?.manifest;
        this.nodeId = (await ctx.storage.get<string>("node_id")) ?? crypto.randomUUID();
        await ctx.storage.put("node_id", this.nodeId);
        this.name = (await ctx.storage.get<string>("name")) ?? this.name;
        await this.metrics.load();
        if (!this.current) await this.loadFromCache();
        await this.loadHealthChecks();
        this.indexing = this.reindex().finally(() => {
          this.indexing = undefined;
        });
      } catch (e) {
        // kept and rethrown by the calls, so a failed start does not break the input gate
        this.initError = e;
      }
    });
  }

  private ready(): void {
    if (this.initError) throw this.initError;
  }

  /** What the node serves now; also makes sure it is connected to the CP. */
  async currentConfig(name?: string): Promise<CurrentConfig | null> {
    this.ready();
    if (name && name !== this.name) {
      this.name = name;
      await this.ctx.storage.put("name", name);
    }
    this.ensureConnected();
    return this.current
      ? {
          version: this.current.version,
          config_hash: this.current.config_hash,
          cold_entities: this.current.cold_entities ?? 0,
          cold_size: this.current.cold_size ?? 0,
          health: this.health?.snapshot() ?? {},
        }
      : null;
  }

  /**
   * An isolate's metrics since its last report, added to the node's totals (kept in storage, so
   * counters do not restart when the node is evicted) and sent on to the CP.
   */
  async addMetrics(delta: MetricsWire): Promise<void> {
    this.ready();
    if (await this.metrics.add(delta)) this.ping();
  }

  /**
   * The stored snapshot, still signed: isolates verify it themselves. `hot`: without its cold
   * section, for isolates that look consumers and credentials up here.
   */
  async snapshot(hot = false): Promise<Uint8Array | null> {
    this.ready();
    const stored = await this.store.read(hot);
    return stored ? stored.bytes : null;
  }

  /**
   * What a key of `consumerKeys` finds in the current config's consumers and credentials, and
   * whether that config is the one the asking isolate serves (`configHash`): an isolate whose
   * config is older or newer than the node's may use the answer, but must not remember it for
   * its config (the same config can come back, a credential created and deleted again).
   */
  async consumerRows(key: string, configHash: string): Promise<StoredRows> {
    this.ready();
    await this.indexing;
    const found = this.cold.find(key);
    return { rows: found.rows, current: found.configHash === configHash };
  }

  /** Indexes the stored config's consumers and credentials, if it keeps them here and they are not. */
  private async reindex(): Promise<void> {
    const conf = dpConf(this.env);
    if (!conf.ok || !this.current) return;
    const inMemory = conf.value.data_plane_consumers_in_memory;
    if (
      !storesConsumers(this.current, inMemory) ||
      this.cold.builtFor()?.config_hash === this.current.config_hash
    )
      return;
    const stored = await this.store.read();
    if (!stored) return;
    const opened = await openAndIndex(stored.bytes, snapshotTrust(conf.value), this.cold, inMemory);
    if (!opened.ok)
      console.error(`[lintel] dp: indexing the stored config failed: ${JSON.stringify(opened.error)}`);
  }

  /** For operators and tests: the node's id and whether it is connected. */
  async status(): Promise<{
    node_id: string;
    connected: boolean;
    config_hash: string;
    version: number | null;
    consumers_stored: boolean;
  }> {
    await this.indexing;
    return {
      node_id: this.nodeId,
      connected: this.socket !== undefined,
      config_hash: this.current?.config_hash ?? EMPTY_HASH,
      version: this.current?.version ?? null,
      consumers_stored:
        this.current !== undefined && this.cold.builtFor()?.config_hash === this.current.config_hash,
    };
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/connect") {
      await this.currentConfig(url.searchParams.get("name") ?? undefined);
      return Response.json(await this.status());
    }
    return new Response("not found", { status: 404 });
  }

  override async alarm(): Promise<void> {
    this.ensureConnected();
    await this.probe();
    const now = Date.now();
    if (this.socket && (this.metrics.due(now) || now - this.lastPing >= PING_INTERVAL * 1000)) this.ping();
    const tick = this.socket ? Date.now() + TICK_MS : Math.max(this.nextDialAt, Date.now() + 1000);
    await this.ctx.storage.setAlarm(Math.min(tick, this.health?.nextDue() ?? tick));
  }

  /** Runs the health probes that are due; a change of health is reported to the CP at once. */
  private async probe(): Promise<void> {
    const health = this.health;
    if (!health) return;
    const before = JSON.stringify(health.snapshot());
    const due = health.due(Date.now());
    await Promise.all(due.map(async (p) => health.record(p.key, await probeTarget(p), Date.now())));
    if (JSON.stringify(health.snapshot()) !== before) this.ping();
  }

  /** Health checks for the config the node holds (what was learned of unchanged targets is kept). */
  private async loadHealthChecks(): Promise<void> {
    const conf = dpConf(this.env);
    if (!conf.ok || !this.current) return;
    const stored = await this.store.read(true);
    if (!stored) return;
    const opened = await openSnapshot(stored.bytes, { ...snapshotTrust(conf.value), cold: "skip" });
    if (!opened.ok) return;
    const config = opened.value.envelope.config;
    const next = new ActiveHealth(
      (config.upstreams ?? []) as unknown as UpstreamWithChecks[],
      (config.targets ?? []) as unknown as TargetEntity[],
      Date.now(),
    );
    next.carryOver(this.health);
    this.health = next.empty ? undefined : next;
    const due = this.health?.nextDue();
    if (due !== undefined && Number.isFinite(due)) {
      const alarm = await this.ctx.storage.getAlarm();
      if (alarm === null || alarm > due) await this.ctx.storage.setAlarm(Math.max(due, Date.now()));
    }
  }

  private ensureConnected(): void {
    if (this.socket || this.connecting || Date.now() < this.nextDialAt) return;
    this.connecting = this.dial()
      .catch((e) => {
        this.attempts++;
        this.nextDialAt = Date.now() + reconnectDelay(this.attempts);
        console.error(`[lintel] dp: cannot reach the control plane: ${e instanceof Error ? e.message : e}`);
      })
      .finally(() => {
        this.connecting = undefined;
      });
    this.ctx.waitUntil(this.connecting);
    this.ctx.waitUntil(this.keepAlarm());
  }

  private async keepAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Math.max(this.nextDialAt, Date.now() + TICK_MS));
    }
  }

  private conf(): DpConf {
    const c = dpConf(this.env);
    if (!c.ok) throw new Error(c.error.join("; "));
    return c.value;
  }

  private async loadIdentity(conf: DpConf): Promise<ClusterIdentity> {
    if (this.identity) return this.identity;
    const r = await loadClusterIdentity(conf.cluster_cert, conf.cluster_cert_key);
    if (!r.ok) throw new Error(`cluster_cert/cluster_cert_key: ${r.error.reason}`);
    this.identity = r.value;
    return r.value;
  }

  private async dial(): Promise<void> {
    const conf = this.conf();
    const identity = await this.loadIdentity(conf);
    const token = await signHandshake(identity, {
      node_id: this.nodeId,
      aud: CLUSTER_AUDIENCE,
      now: Date.now(),
      jti: crypto.randomUUID(),
    });
    const url = new URL(conf.controlPlaneUrl);
    url.searchParams.set("node_id", this.nodeId);
    url.searchParams.set("node_hostname", `lintel-dp-${this.name}`);
    url.searchParams.set("node_version", KONG_VERSION);
    const res = await fetch(url, { headers: { Upgrade: "websocket", Authorization: `Bearer ${token}` } });
    const ws = res.webSocket;
    if (!ws) throw new Error(`control plane answered ${res.status} to the cluster handshake`);
    ws.accept();
    // binary frames as ArrayBuffers: a Blob would hold each frame once more, and be read async
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    this.attempts = 0;
    // a snapshot larger than one frame comes in several, after a header: put back together in
    // order, each frame taken after the one before it
    const frames = new SnapshotAssembler(conf.cluster_max_payload);
    ws.addEventListener("message", (event) => {
      const data = event.data;
      this.reading = this.reading
        .then(async () => {
          // frames still arriving on a connection given up belong to a stream out of step
          if (this.socket !== ws) return frames.abandon();
          const got = typeof data === "string" ? frames.text(data) : frames.binary(await binaryFrame(data));
          // a newer snapshot is on its way: the one waiting would be superseded when it is whole
          if (frames.assembling) this.next = undefined;
          if (!got) return;
          if (!("refused" in got)) return this.offer(got.snapshot, conf);
          this.refuse(got.refused);
          // out of step, unless the next snapshot's header came early (that one is taken)
          if (got.refused.reason === "malformed" && !frames.assembling) {
            frames.abandon();
            this.startOver(ws, got.refused.detail);
          }
        })
        .catch((e) => {
          frames.abandon();
          this.startOver(ws, `a frame could not be read (${e instanceof Error ? e.message : e})`);
        });
      this.ctx.waitUntil(this.reading);
    });
    ws.addEventListener("close", (e) => {
      frames.abandon();
      this.lost(
        ws,
        `closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`,
        e.code === 1000 || e.code === 1001,
      );
    });
    ws.addEventListener("error", (e) => {
      frames.abandon();
      this.lost(ws, `lost (${(e as ErrorEvent).message ?? "error"})`, false);
    });
    const labels = Object.keys(conf.cluster_dp_labels).length ? conf.cluster_dp_labels : undefined;
    ws.send(
      JSON.stringify({
        type: "basic_info",
        plugins: RUNNABLE_PLUGINS,
        labels,
        lintel_version: LINTEL_VERSION,
        snapshot_frames: true,
      }),
    );
    this.ping();
    console.log(`[lintel] dp: connected to the control plane at ${url.host} as ${this.nodeId}`);
  }

  /** The connection `ws` is gone: the next dial waits out the back-off (the alarm makes it). */
  private lost(ws: WebSocket, why: string, clean: boolean): void {
    if (this.socket !== ws) return;
    this.socket = undefined;
    this.attempts++;
    const delay = reconnectDelay(this.attempts);
    this.nextDialAt = Date.now() + delay;
    const message = `[lintel] dp: connection to the control plane ${why}; reconnecting in ${(delay / 1000).toFixed(1)} s`;
    // a CP that says goodbye (it is stopping or restarting) is no error (Kong: 02-start_stop_spec.lua:219)
    if (clean) console.log(message);
    else console.error(message);
    this.ctx.waitUntil(this.ctx.storage.setAlarm(this.nextDialAt));
  }

  /**
   * The snapshots on `ws` are out of step (frames longer than announced, cut short, unreadable):
   * the one the CP sent last may be lost, and with it a snapshot waiting behind it. The connection
   * is given up and made again, and the CP sends its current config on the new one.
   */
  private startOver(ws: WebSocket, why: string): void {
    this.lost(ws, `out of step (${why})`, false);
    try {
      ws.close(1002, "snapshot frames out of step");
    } catch {
      // already closed
    }
  }

  private ping(error?: Ping["error"]): void {
    const message: Ping = { type: "ping", config_hash: this.current?.config_hash ?? EMPTY_HASH };
    if (error) message.error = error;
    if (this.health) {
      message.health = {};
      for (const [key, up] of Object.entries(this.health.snapshot()))
        message.health[key] = up ? "HEALTHY" : "UNHEALTHY";
    }
    try {
      if (!this.socket) return;
      this.socket.send(this.metrics.ping(message));
      this.lastPing = Date.now();
      this.metrics.sent(this.lastPing);
    } catch {
      // the close handler reconnects
    }
  }

  /** Applies a pushed snapshot now, or after the one being applied (replacing any older waiting). */
  private offer(bytes: Pieces, conf: DpConf): void {
    this.next = { bytes, conf };
    if (this.applying !== undefined) return;
    this.applying = (async () => {
      for (let n = this.next; n; n = this.next) {
        this.next = undefined;
        try {
          await this.apply(n.bytes, n.conf);
        } catch (e) {
          console.error(`[lintel] dp: applying a snapshot failed: ${e instanceof Error ? e.message : e}`);
        }
      }
      this.applying = undefined;
    })();
    this.ctx.waitUntil(this.applying);
  }

  /** Says why a pushed snapshot is not kept, in the log and to the CP. */
  private refuse(e: OpenError): void {
    console.error(
      e.reason === "too_large"
        ? e.part === "hot"
          ? `[lintel] dp: refused a snapshot of ${e.size} bytes of JSON besides consumers and credentials: over the ${e.limit} an isolate parses`
          : `[lintel] dp: refused a snapshot of ${e.size} bytes: over ${e.part === "cold" ? `${e.limit} of consumers and credentials` : `cluster_max_payload (${e.limit})`}`
        : `[lintel] dp: refused a snapshot: ${JSON.stringify(e)}`,
    );
    this.ping({ reason: e.reason });
  }

  /** Verifies a pushed snapshot (signature, size, schema, version) before keeping it. */
  private async apply(bytes: Pieces, conf: DpConf): Promise<void> {
    await this.indexing;
    const opened = await openAndIndex(
      bytes,
      { ...snapshotTrust(conf), current: this.current },
      this.cold,
      conf.data_plane_consumers_in_memory,
    );
    if (!opened.ok) {
      this.refuse(opened.error);
      return;
    }
    const { manifest } = opened.value;
    if (manifest.config_hash !== this.current?.config_hash || manifest.version !== this.current?.version) {
      await this.store.write(manifest, bytes);
      this.current = manifest;
      if (!storesConsumers(manifest, conf.data_plane_consumers_in_memory)) this.cold.clear();
      await this.loadHealthChecks();
      await this.cache(conf)
        .write(bytes, manifest)
        .catch((e) => console.error(`[lintel] dp: writing the config cache failed: ${e}`));
    }
    this.ping();
  }

  private cache(conf: DpConf): ConfigCache {
    return new ConfigCache(this.env.CONFIG_CACHE, conf);
  }

  /**
   * A node that starts with nothing (a new colo, lost storage) takes the cached snapshot, verified
   * as if it had just come from the CP; a tampered cache is refused.
   */
  private async loadFromCache(): Promise<void> {
    const conf = dpConf(this.env);
    if (!conf.ok) return;
    const bytes = await this.cache(conf.value).read();
    if (!bytes) return;
    const opened = await openAndIndex(
      bytes,
      snapshotTrust(conf.value),
      this.cold,
      conf.value.data_plane_consumers_in_memory,
    );
    if (!opened.ok) {
      console.error(`[lintel] dp: refused the cached config: ${JSON.stringify(opened.error)}`);
      return;
    }
    await this.store.write(opened.value.manifest, bytes);
    this.current = opened.value.manifest;
    console.log(
      `[lintel] dp: serving the cached config ${this.current.config_hash} until the control plane answers`,
    );
  }
}

/** A binary frame's bytes: an ArrayBuffer as the socket asks for them (binaryType), a Blob from a runtime that ignores that. */
async function binaryFrame(data: unknown): Promise<Uint8Array> {
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(0);
}
