import type { DeclarativeConfig } from "../shared/declarative/config";
import { compileRouter } from "../shared/router/kong-router";
import type { Router } from "../shared/router/types";
import type { Manifest } from "../shared/snapshot/envelope";

/** A service's upstream, resolved once per config rather than per request. */
export type Upstream = { origin: string; host: string };

/** Everything a request needs from one config, built once per config, swapped as a whole. */
export type CompiledConfig = {
  /** What the config is: version, epoch, hash, when it was made (rollback checks use it). */
  manifest: Pick<Manifest, "version" | "epoch" | "config_hash" | "created_at">;
  hash: string;
  router: Router;
  /** By service id. */
  upstreams: Map<string, Upstream>;
};

export function compileConfig(
  manifest: Pick<Manifest, "version" | "epoch" | "config_hash" | "created_at">,
  config: DeclarativeConfig,
): CompiledConfig {
  const upstreams = new Map<string, Upstream>();
  for (const s of config.services ?? []) {
    try {
      const host = s.host.includes(":") && !s.host.startsWith("[") ? `[${s.host}]` : s.host;
      const url = new URL(`${s.protocol}://${host}:${s.port}`);
      upstreams.set(s.id, { origin: url.origin, host: url.host });
    } catch {
      // a service Lintel cannot reach over HTTP (tcp, grpc, ...) has no upstream here
    }
  }
  return { manifest, hash: manifest.config_hash, router: compileRouter(config), upstreams };
}
