import type { DeclarativeConfig } from "../shared/declarative/config";
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
};

export function compileConfig(
  manifest: Pick<Manifest, "version" | "epoch" | "config_hash" | "created_at">,
  config: DeclarativeConfig,
): CompiledConfig {
  return {
    manifest,
    hash: manifest.config_hash,
    router: compileRouter(config),
    services: compileServiceTargets(config),
  };
}
