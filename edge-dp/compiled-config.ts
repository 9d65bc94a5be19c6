import type { DeclarativeConfig } from "../shared/declarative/config";
import { compileSimpleRouter } from "../shared/router/simple-router";
import type { Router } from "../shared/router/types";

/** Everything a request needs from one config, built once per config, swapped as a whole. */
export type CompiledConfig = {
  version: number;
  hash: string;
  router: Router;
};

export function compileConfig(version: number, hash: string, config: DeclarativeConfig): CompiledConfig {
  return { version, hash, router: compileSimpleRouter(config) };
}

/** No config yet: every request gets Kong's 404. */
export function emptyCompiledConfig(): CompiledConfig {
  return compileConfig(0, "0".repeat(32), { _format_version: "3.0", _transform: false });
}
