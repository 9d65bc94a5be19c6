import { healthKey } from "../shared/balancer/active-health";
import type { DeclarativeConfig } from "../shared/declarative/config";
import { ConsumerIndex } from "../shared/plugins/runtime/consumers";
import { PluginScopes } from "../shared/plugins/runtime/scopes";
import type { ConsumerLookup } from "../shared/plugins/runtime/types";
import { compileRouter } from "../shared/router/kong-router";
import type { Router } from "../shared/router/types";
import type { Manifest } from "../shared/snapshot/envelope";
import { compileServiceTargets, type ServiceTarget } from "./service-targets";

/** Everything a request needs from one config, built once per config, swapped as a whole. */
export type CompiledConfig = {
  /** What the config is: version, epoch, hash, when it was made (rollback checks use it). */
  manifest: Pick<Manifest, "version" | "epoch" | "config_hash" | "created_at">;
  hash: string;
  router: Router;
  /** Where each service's requests go, by service id. */
  services: Map<string, ServiceTarget>;
  /** Which plugin configuration applies where. */
  plugins: PluginScopes;
  /** Consumers and credentials, for the authentication plugins. */
  consumers: ConsumerLookup;
  /**
   * Takes what the DP node's active health checks found: a target whose state changed there is
   * taken out of (or back into) this isolate's rotation.
   */
  applyHealth(health: Record<string, boolean>): void;
};

export function compileConfig(
  manifest: Pick<Manifest, "version" | "epoch" | "config_hash" | "created_at">,
  config: DeclarativeConfig,
  /** Where consumers and credentials are looked up when the config does not hold them. */
  consumers?: ConsumerLookup,
): CompiledConfig {
  const services = compileServiceTargets(config);
  const addresses = new Map<string, Array<{ available: boolean }>>();
  for (const t of services.values()) {
    if (t.kind !== "balancer") continue;
    for (const a of t.balancer.addresses) {
      const key = healthKey(t.balancer.upstream.id, a.host, a.port);
      const list = addresses.get(key) ?? [];
      if (!list.includes(a)) list.push(a);
      addresses.set(key, list);
    }
  }
  const seen = new Map<string, boolean>();
  return {
    manifest,
    hash: manifest.config_hash,
    router: compileRouter(config),
    services,
    plugins: new PluginScopes(config),
    consumers: consumers ?? new ConsumerIndex(config),
    applyHealth(health) {
      for (const [key, healthy] of Object.entries(health)) {
        if (seen.get(key) === healthy) continue;
        seen.set(key, healthy);
        for (const a of addresses.get(key) ?? []) a.available = healthy;
      }
    },
  };
}
