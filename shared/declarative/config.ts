import type { Route } from "../entities/routes";
import type { Service } from "../entities/services";

/** A service as Kong exports it: every field present (unset ones null), foreign keys as ids. */
export type ExportedService = Omit<Service, "client_certificate"> & { client_certificate: string | null };
export type ExportedRoute = Omit<Route, "service"> & { service: string | null };

/**
 * Kong's declarative export (`_format_version: "3.0"`) as `kong.db.declarative.export_config`
 * gives it: an entity list appears only when it has rows.
 */
export type DeclarativeConfig = {
  _format_version: "3.0";
  _transform: false;
  services?: ExportedService[];
  routes?: ExportedRoute[];
};

export function emptyConfig(): DeclarativeConfig {
  return { _format_version: "3.0", _transform: false };
}

/** Flattens an entity's foreign keys (`{ id }`) to the id, as Kong's export does. */
export function flattenForeignKeys<T extends Record<string, unknown>>(entity: T, foreign: readonly string[]) {
  const out: Record<string, unknown> = { ...entity };
  for (const f of foreign) {
    const ref = out[f] as { id?: string } | null | undefined;
    out[f] = ref && typeof ref === "object" ? (ref.id ?? null) : null;
  }
  return out;
}
