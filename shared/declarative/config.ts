import type { Route } from "../entities/routes";
import type { Service } from "../entities/services";

/**
 * Kong's declarative export (`_format_version: "3.0"`): flat entity lists, foreign keys as
 * `{ id }` references.
 */
export type DeclarativeConfig = {
  _format_version: "3.0";
  services: Service[];
  routes: Route[];
};

export function emptyConfig(): DeclarativeConfig {
  return { _format_version: "3.0", services: [], routes: [] };
}
