import { certificatesDer } from "../shared/cluster/pem";
import { openSnapshot } from "../shared/snapshot/codec";
import { type CompiledConfig, compileConfig } from "./compiled-config";
import { ConfigCache } from "./config-cache";
import type { DpConf, Env } from "./env";

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

  async get(
    env: Env,
    conf: DpConf,
    colo: string,
    ctx: ExecutionContext,
  ): Promise<CompiledConfig | undefined> {
    const due = this.now() - this.checkedAt >= conf.config_check_interval * 1000;
    if (due && this.inflight === undefined) {
      this.inflight = this.refresh(env, conf, colo).finally(() => {
        this.inflight = undefined;
      });
      // Only a cold isolate waits: it has nothing to serve yet.
      if (!this.compiled) await this.inflight;
      else ctx.waitUntil(this.inflight);
    } else if (!this.compiled && this.inflight !== undefined) {
      await this.inflight;
    }
    return this.compiled;
  }

  private async refresh(env: Env, conf: DpConf, colo: string): Promise<void> {
    this.checkedAt = this.now();
    try {
      const node = env.DP_NODE.get(env.DP_NODE.idFromName(colo));
      const current = await node.currentConfig(colo);
      if (!current || current.config_hash === this.compiled?.hash) return;
      const bytes = await node.snapshot();
      if (!bytes) return;
      const opened = await openSnapshot(bytes, {
        signers: certificatesDer(conf.cluster_cert),
        maxPayload: conf.cluster_max_payload,
        minVersion: this.compiled?.version,
      });
      if (!opened.ok) {
        console.error(`[lintel] dp: isolate refused the node's snapshot: ${JSON.stringify(opened.error)}`);
        return;
      }
      const { envelope } = opened.value;
      this.compiled = compileConfig(envelope.version, envelope.config_hash, envelope.config);
    } catch (e) {
      console.error(`[lintel] dp: config check failed: ${e instanceof Error ? e.message : e}`);
    }
  }
}
