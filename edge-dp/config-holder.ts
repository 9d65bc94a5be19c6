import { parse as parseYaml } from "yaml";
import { bundledConfig } from "../shared/declarative/to-config";
import { calculateConfigHash } from "../shared/hash/config-hash";
import { type OpenOptions, openManifest, readSections } from "../shared/snapshot/codec";
import { isStale } from "../shared/snapshot/rollback";
import { storesConsumers } from "./cold-index";
import { type CompiledConfig, compileConfig } from "./compiled-config";
import { ConfigCache } from "./config-cache";
import type { DpConf, Env } from "./env";
import { snapshotTrust } from "./snapshot-trust";
import { StoredConsumers } from "./stored-consumers";

/**
 * The config an isolate serves. It asks its DP node for the current hash at most every
 * `config_check_interval`, off the request path; on a new hash it fetches the snapshot, verifies
 * it, compiles it to the side and swaps one reference, so a request always sees one whole config.
 */
export class ConfigHolder {
  private compiled: CompiledConfig | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The config to serve this request with. Returned directly on the hot path; a promise only for
   * a cold isolate, which has nothing to serve until its first load.
   */
  get(
    env: Env,
    conf: DpConf,
    /** The colo whose DP node to ask: read only when the node is asked. */
    colo: () => string,
    ctx: ExecutionContext,
  ): CompiledConfig | undefined | Promise<CompiledConfig | undefined> {
    if (this.now() - this.checkedAt >= conf.config_check_interval * 1000 && this.inflight === undefined) {
      const cold = this.checkedAt === Number.NEGATIVE_INFINITY;
      this.inflight = (
        cold ? this.coldStart(env, conf, colo(), ctx) : this.refresh(env, conf, colo())
      ).finally(() => {
        this.inflight = undefined;
      });
      if (this.compiled) ctx.waitUntil(this.inflight);
    }
    if (this.compiled || this.inflight === undefined) return this.compiled;
    return this.inflight.then(() => this.compiled);
  }

  /**
   * Kong's start sequence for an isolate: the KV cache (verified again) at once, then whatever
   * the node has; without either, the bundled `declarative_config`; without that, nothing (Kong's
   * 404). The node is asked in every case.
   */
  private async coldStart(env: Env, conf: DpConf, colo: string, ctx: ExecutionContext): Promise<void> {
    this.checkedAt = this.now();
    try {
      const bytes = await new ConfigCache(env.CONFIG_CACHE, conf).read();
      if (bytes) {
        const opened = await this.open(bytes, snapshotTrust(conf), env, conf, colo);
        if ("compiled" in opened) {
          this.compiled = opened.compiled;
          ctx.waitUntil(this.refresh(env, conf, colo));
          return;
        }
        console.error(`[lintel] dp: isolate refused the cached config: ${JSON.stringify(opened.error)}`);
      }
    } catch (e) {
      console.error(`[lintel] dp: reading the config cache failed: ${e instanceof Error ? e.message : e}`);
    }
    await this.refresh(env, conf, colo);
    if (!this.compiled && conf.declarative_config_string)
      await this.loadBundled(conf.declarative_config_string);
  }

  /** Kong's `declarative_config`, at version 0: any config from the CP replaces it. */
  private async loadBundled(text: string): Promise<void> {
    try {
      const { config, error } = await bundledConfig(parseYaml(text, { maxAliasCount: 100 }));
      if (!config) {
        console.error(`[lintel] dp: declarative_config is invalid: ${error}`);
        return;
      }
      const hash = calculateConfigHash(config as unknown as Record<string, unknown>).config;
      // version 0 of no epoch, made at time 0: any config from the CP replaces it
      this.compiled = compileConfig(
        { version: 0, epoch: "bundled", config_hash: hash, created_at: 0 },
        config,
      );
    } catch (e) {
      console.error(
        `[lintel] dp: declarative_config could not be read: ${e instanceof Error ? e.message : e}`,
      );
    }
  }

  private async refresh(env: Env, conf: DpConf, colo: string): Promise<void> {
    this.checkedAt = this.now();
    try {
      const node = env.DP_NODE.get(env.DP_NODE.idFromName(colo));
      const current = await node.currentConfig(colo);
      if (current && this.compiled) this.compiled.applyHealth(current.health);
      if (!current || current.config_hash === this.compiled?.hash) return;
      // a config that keeps its consumers in the node's storage comes without them
      const bytes = await node.snapshot(storesConsumers(current, conf.data_plane_consumers_in_memory));
      if (!bytes) return;
      const opened = await this.open(
        bytes,
        { ...snapshotTrust(conf), current: this.compiled?.manifest },
        env,
        conf,
        colo,
      );
      if (!("compiled" in opened)) {
        console.error(`[lintel] dp: isolate refused the node's snapshot: ${JSON.stringify(opened.error)}`);
        return;
      }
      // another refresh may have installed a newer config meanwhile: never step back
      const held = this.compiled?.manifest;
      if (held && isStale(opened.compiled.manifest, held)) return;
      this.compiled = opened.compiled;
      this.compiled.applyHealth(current.health);
    } catch (e) {
      console.error(`[lintel] dp: config check failed: ${e instanceof Error ? e.message : e}`);
    }
  }

  /**
   * Verifies and compiles a snapshot. A config with more consumers and credentials than
   * `data_plane_consumers_in_memory` is compiled without them (its cold section is not even
   * inflated): they are looked up in the DP node's storage as requests name them.
   */
  private async open(
    bytes: Uint8Array,
    trust: OpenOptions,
    env: Env,
    conf: DpConf,
    colo: string,
  ): Promise<{ compiled: CompiledConfig } | { error: unknown }> {
    const head = await openManifest(bytes, trust);
    if (!head.ok) return { error: head.error };
    const stored = storesConsumers(head.value.manifest, conf.data_plane_consumers_in_memory);
    const opened = await readSections(head.value, stored ? "skip" : "merge");
    if (!opened.ok) return { error: opened.error };
    const { manifest, envelope } = opened.value;
    const node = () => env.DP_NODE.get(env.DP_NODE.idFromName(colo));
    const consumers = stored
      ? new StoredConsumers(envelope.config, (key) => node().consumerRows(key, manifest.config_hash))
      : undefined;
    return { compiled: compileConfig(manifest, envelope.config, consumers) };
  }
}
