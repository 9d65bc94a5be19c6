import { randomUUID } from "node:crypto";
import type { ClusterIdentity } from "../../shared/cluster/keys";
import type {
  DeclarativeConfig,
  ExportedEntity,
  ExportedRoute,
  ExportedService,
} from "../../shared/declarative/config";
import { routesSchema } from "../../shared/entities/routes";
import { servicesSchema } from "../../shared/entities/services";
import { targetsSchema, upstreamsSchema } from "../../shared/entities/upstreams";
import { calculateConfigHash } from "../../shared/hash/config-hash";
import { validateEntity } from "../../shared/schema/validate";
import { sealSnapshot } from "../../shared/snapshot/codec";

function withDefaults(schema: typeof servicesSchema, input: Record<string, unknown>) {
  const v = validateEntity(schema, input, "insert");
  if (!v.ok) throw new Error(JSON.stringify(v.error));
  return { ...v.value, id: randomUUID(), created_at: 1, updated_at: 1 };
}

/** A service as the CP would export it, Kong's defaults filled in. */
export const service = (input: Record<string, unknown>) =>
  withDefaults(servicesSchema, input) as unknown as ExportedService;

/** A route as the CP would export it; `service` is the service's id. */
export function route(input: Record<string, unknown>, serviceId: string | null): ExportedRoute {
  return {
    ...(withDefaults(routesSchema, input) as Record<string, unknown>),
    service: serviceId,
  } as ExportedRoute;
}

/** An upstream as the CP would export it, Kong's defaults (healthchecks and all) filled in. */
export const upstream = (input: Record<string, unknown>) =>
  withDefaults(upstreamsSchema, input) as unknown as ExportedEntity;

/** A target of the upstream `upstreamId`. */
export const target = (input: Record<string, unknown>, upstreamId: string) =>
  ({
    ...withDefaults(targetsSchema, { ...input, upstream: { id: upstreamId } }),
    upstream: upstreamId,
  }) as unknown as ExportedEntity;

/** A key-auth plugin on the route `routeId`, as the CP would export it (key in `apikey`). */
export const keyAuthPlugin = (routeId: string) => ({
  id: randomUUID(),
  name: "key-auth",
  route: routeId,
  service: null,
  consumer: null,
  enabled: true,
  protocols: ["http", "https"],
  config: {
    key_names: ["apikey"],
    hide_credentials: false,
    anonymous: null,
    key_in_header: true,
    key_in_query: true,
    key_in_body: false,
    run_on_preflight: true,
    realm: null,
  },
});

/** A signed snapshot of the given entities, as the CP's publisher seals one. */
export async function snapshotOf(
  identity: ClusterIdentity,
  version: number,
  services: ExportedService[],
  routes: ExportedRoute[],
  {
    epoch = "11111111-2222-4333-8444-555555555555",
    created_at = 1,
    upstreams = [],
    targets = [],
    more = {},
  }: {
    epoch?: string;
    created_at?: number;
    upstreams?: ExportedEntity[];
    targets?: ExportedEntity[];
    /** Any other entities (plugins, consumers, credentials), by type. */
    more?: Record<string, unknown[]>;
  } = {},
) {
  const config: DeclarativeConfig = { _format_version: "3.0", _transform: false, ...more };
  if (services.length) config.services = services;
  if (routes.length) config.routes = routes;
  if (upstreams.length) config.upstreams = upstreams;
  if (targets.length) config.targets = targets;
  const hashes = calculateConfigHash(config);
  return sealSnapshot(
    { version, epoch, config_hash: hashes.config, hashes, created_at, cp_id: "fake-cp", config },
    identity,
    "test",
  );
}
