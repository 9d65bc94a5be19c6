import type { Route } from "../entities/routes";
import type { Service } from "../entities/services";

/** A service as Kong exports it: every field present (unset ones null), foreign keys as ids. */
export type ExportedService = Omit<Service, "client_certificate"> & { client_certificate: string | null };
export type ExportedRoute = Omit<Route, "service"> & { service: string | null };

/**
 * Kong's declarative export (`_format_version: "3.0"`) as `kong.db.declarative.export_config`
 * gives it: an entity list appears only when it has rows.
 */
/** An exported entity Lintel's data plane does not read yet: Kong's fields, foreign keys as ids. */
export type ExportedEntity = Record<string, unknown> & { id: string };

export type DeclarativeConfig = {
  _format_version: "3.0";
  _transform: false;
  services?: ExportedService[];
  routes?: ExportedRoute[];
  certificates?: ExportedEntity[];
  snis?: ExportedEntity[];
  ca_certificates?: ExportedEntity[];
  consumers?: ExportedEntity[];
  upstreams?: ExportedEntity[];
  targets?: ExportedEntity[];
  plugins?: ExportedEntity[];
  keyauth_credentials?: ExportedEntity[];
  basicauth_credentials?: ExportedEntity[];
  jwt_secrets?: ExportedEntity[];
  acls?: ExportedEntity[];
};

/** Flattens an entity's foreign keys (`{ id }`) to the id, as Kong's export does. */
export function flattenForeignKeys<T extends Record<string, unknown>>(entity: T, foreign: readonly string[]) {
  const out: Record<string, unknown> = { ...entity };
  for (const f of foreign) {
    const ref = out[f] as { id?: string } | null | undefined;
    out[f] = ref && typeof ref === "object" ? (ref.id ?? null) : null;
  }
  return out;
}
