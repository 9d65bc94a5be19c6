import type { ClusterIdentity } from "../../shared/cluster/keys";
import { isHashedApart } from "../../shared/hash/config-hash";
import { pluginDefinition } from "../../shared/plugins/definitions";
import { MAX_HOT_JSON, type Manifest } from "../../shared/snapshot/envelope";
import { KONG_VERSION } from "../../shared/version";
import { type Daos, ENTITY_NAMES } from "../dao";
import type { Db } from "../db/client";
import type { SnapshotRead } from "../db/snapshot-read";
import { readConfigVersion } from "./export";
import { ConfigExporter } from "./exporter";
import { nativeFlushDeflate, nativeMd5 } from "./native-codecs";
import type { FlushDeflate } from "./segmented-gzip";
import { type RestBuilder, type RestPart, SnapshotBuilder } from "./snapshot-builder";

export type Snapshot = {
  bytes: Uint8Array;
  manifest: Manifest;
  /** The plugins the config uses, each with the version this CP runs: what a DP must have. */
  plugins: Array<{ name: string; version: string }>;
};

export type PublisherOptions = {
  db: Db;
  daos: Daos;
  identity: ClusterIdentity;
  /** `kid` of the signature: the SHA-256 thumbprint of the signing certificate. */
  kid: string;
  cpId: string;
  /**
   * `db_update_frequency` in ms: how often other nodes' writes are looked for. 0 leaves polling to
   * the host (the managed CP polls from its Durable Object's alarm).
   */
  pollInterval: number;
  /** `cluster_max_payload`: a snapshot larger than this (compressed, as sent) is not published. */
  maxPayload: number;
  onSnapshot: (snapshot: Snapshot) => void;
  log: (message: string) => void;
  now?: () => number;
  /** How snapshot segments are compressed: zlib on this thread unless the host has better. */
  deflate?: FlushDeflate;
  /** How the database is read for an export: a drizzle transaction unless the host has better. */
  read?: SnapshotRead;
  /**
   * Whether the config-hash bytes of runs of entities are kept between builds (faster builds after
   * a write, more memory): yes unless the host is short of memory (the managed CP's Hub, in one
   * isolate).
   */
  keepHashBytes?: boolean;
  /**
   * Where the rest of the config (what Kong hashes together: certificates, consumers, credentials)
   * is built, at the snapshot this publisher's export shares (Postgres only): by default here.
   */
  rest?: RestBuilder;
};

/** How long builds stay on the publisher's thread after the rest builder failed one. */
const REST_BACKOFF_MS = 60_000;

/** The types an export holds when the rest is built elsewhere. */
export const APART_TYPES = ENTITY_NAMES.filter(isHashedApart);

/**
 * Keeps the signed snapshot of the current config. A change is exported at once; changes that
 * arrive while an export runs are batched into the next one. Writes made by other CP nodes on the
 * same database are found by polling the config version every `db_update_frequency`.
 */
export class Publisher {
  private current: Snapshot | undefined;
  private building: Promise<void> | undefined;
  private dirty = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Until when builds stay on this thread after the rest builder failed one (epoch ms). */
  private restAfter = 0;

  /**
   * Whether the current snapshot was restored, not built here: the next build of the same config
   * version is made in full, and replaces it only if it differs (an older Lintel made it).
   */
  private restored = false;

  private readonly exporter: ConfigExporter;
  private readonly builder: SnapshotBuilder;

  constructor(private opts: PublisherOptions) {
    this.exporter = new ConfigExporter(opts.db, opts.daos, opts.read);
    this.builder = new SnapshotBuilder(opts.deflate ?? nativeFlushDeflate, nativeMd5, opts.keepHashBytes);
  }

  /** A rotation: later snapshots are signed with this identity, the current one at once. */
  async setSigner(identity: ClusterIdentity, kid: string): Promise<void> {
    this.opts = { ...this.opts, identity, kid };
    this.current = undefined;
    await this.schedule();
  }

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  /**
   * Takes a snapshot this publisher signed before (kept across a Durable Object's hibernation), so
   * that DPs are served without waiting for the database; `poll` replaces it if it is out of date.
   */
  restore(snapshot: Snapshot): void {
    if (this.current) return;
    this.current = snapshot;
    this.restored = true;
  }

  /**
   * Makes the first build, then polls. With a snapshot restored, DPs are served that one and the
   * build runs on after start returns (it finds the config unchanged and keeps it, or replaces it).
   */
  async start(): Promise<void> {
    // through schedule, so that a write during start-up waits for this build instead of overlapping
    const first = this.schedule();
    if (this.current) first.catch((e) => this.opts.log(`[lintel] cluster: export failed: ${e}`));
    else await first;
    if (this.opts.pollInterval <= 0) return;
    this.timer = setInterval(() => {
      this.poll().catch((e) => this.opts.log(`[lintel] cluster: polling the config version failed: ${e}`));
    }, this.opts.pollInterval);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Resolves once no build runs (failed or not): for a clean close. */
  async idle(): Promise<void> {
    for (let b = this.building; b !== undefined; b = this.building) await b.catch(() => {});
  }

  /** Asks for a new snapshot; returns when one that includes every change so far is out. */
  schedule(): Promise<void> {
    if (this.building !== undefined) {
      this.dirty = true;
      return this.building;
    }
    this.building = (async () => {
      try {
        do {
          this.dirty = false;
          await this.build();
        } while (this.dirty);
      } finally {
        this.building = undefined;
      }
    })();
    return this.building;
  }

  /** Looks for writes made elsewhere: a new snapshot when the config version moved. */
  async poll(): Promise<void> {
    const version = await readConfigVersion(this.opts.db);
    if (version !== (this.current?.manifest.version ?? -1)) await this.schedule();
  }

  private async build(): Promise<void> {
    try {
      // the rest is built elsewhere once that builder is ready, holding what it made before (a
      // thread loads and warms up after the node's first build), else here
      const rest = this.opts.rest;
      if (rest?.ready && Date.now() >= this.restAfter) {
        try {
          await this.buildOnce(rest);
          return;
        } catch (e) {
          // the thread is for speed: a build it fails is made here at once, and so are the next
          // for a while, so that a thread that keeps failing does not make every build twice
          this.restAfter = Date.now() + REST_BACKOFF_MS;
          this.opts.log(
            `[lintel] cluster: the rest thread failed a build (${e}); building on the publisher's thread for ${REST_BACKOFF_MS / 1000} s`,
          );
        }
      }
      await this.buildOnce(undefined);
    } finally {
      // started after the first build (which it would slow down), and again if it failed
      this.opts.rest?.prepare().catch((e) => this.opts.log(`[lintel] cluster: rest thread: ${e}`));
    }
  }

  private async buildOnce(restBuilder: RestBuilder | undefined): Promise<void> {
    let rest: Promise<RestPart> | undefined;
    const exported = await this.exporter.export(
      restBuilder && {
        types: APART_TYPES,
        share: (snapshot) => {
          const started = restBuilder.start(snapshot);
          rest = started.part;
          return started.taken;
        },
      },
    );
    if (restBuilder && !rest) throw new Error("the export did not share its snapshot");
    const { version, epoch } = exported;
    const held = this.current?.manifest;
    const unchanged = held?.version === version && held.epoch === epoch;
    // an unchanged config: the rest, built all the same, is dropped
    if (unchanged && !this.restored) return;
    const sealed = await this.builder.build(
      exported,
      { created_at: this.opts.now?.() ?? Date.now(), cp_id: this.opts.cpId },
      this.opts.identity,
      this.opts.kid,
      rest,
    );
    const restored = this.restored;
    this.restored = false;
    // DPs were sent the restored snapshot: the same config, hashed the same, is not sent again
    if (unchanged && restored && sealed.manifest.config_hash === held?.config_hash) return;
    const names = exported.types
      .find((t) => t.name === "plugins")
      ?.entities.map((e) => String(e.entity.name));
    const snapshot: Snapshot = {
      ...sealed,
      plugins: [...new Set(names)].map((name) => ({
        name,
        version: pluginDefinition(name)?.version ?? KONG_VERSION,
      })),
    };
    if (snapshot.bytes.length > this.opts.maxPayload) {
      this.opts.log(
        `[lintel] cluster: config version ${version} is ${snapshot.bytes.length} bytes compressed, over cluster_max_payload (${this.opts.maxPayload}); not published`,
      );
      return;
    }
    if (snapshot.manifest.size > MAX_HOT_JSON) {
      this.opts.log(
        `[lintel] cluster: config version ${version} has ${snapshot.manifest.size} bytes of JSON besides its consumers and credentials, over the ${MAX_HOT_JSON} a data plane isolate parses; not published`,
      );
      return;
    }
    this.current = snapshot;
    this.opts.onSnapshot(snapshot);
  }
}
