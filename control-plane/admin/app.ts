import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { PLUGINS } from "../../shared/plugins/definitions";
import { KONG_VERSION, LINTEL_VERSION } from "../../shared/version";
import type { DataPlaneDirectory } from "../cluster/data-planes";
import type { DataPlaneMetrics } from "../cluster/hub";
import { type Daos, ENTITY_NAMES, type EntityName } from "../dao";
import type { Db } from "../db/client";
import { adminTokenAuth } from "./admin-auth";
import { mountClustering } from "./clustering";
import { mountConfig } from "./config-endpoint";
import { mountConsumerSearch } from "./consumers-search";
import { DOCS_PAGE } from "./docs-page";
import { mountEntity, mountNested } from "./entity-endpoints";
import { mountInfo } from "./info";
import { notFound, unexpected } from "./kong-response";
import { mountMetrics } from "./metrics";
import { openApiDocument } from "./openapi";
import { mountTags } from "./tags";
import { mountUpstreamHealth, type TargetHealthReports } from "./upstream-health";

export type AdminDeps = {
  db: Db;
  daos: Daos;
  dataPlanes: DataPlaneDirectory;
  nodeId: string;
  hostname: string;
  /** The options the node runs with, for `/` (secrets already removed). */
  configuration: Record<string, unknown>;
  /** What the connected data planes report of targets' health (`/upstreams/{u}/health`). */
  targetHealth?: () => Promise<TargetHealthReports> | TargetHealthReports;
  /** What the connected data planes report of their prometheus metrics (`/metrics`). */
  dataPlaneMetrics?: () => Promise<DataPlaneMetrics[]> | DataPlaneMetrics[];
  /** The config hash the cluster currently publishes. */
  currentHash: () => string | undefined | Promise<string | undefined>;
  /** `admin_token`: when set, every request must carry it in `Kong-Admin-Token`. */
  adminToken?: string;
  /**
   * Asked before each authenticated request: a message when the node cannot serve (its database
   * lacks the schema), answered with a 503.
   */
  ready?: () => Promise<string | undefined>;
  now?: () => number;
  log?: (message: string) => void;
};

/** Largest Admin API request body accepted. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Kong's Admin API for the entities Lintel serves so far. */
export function createAdminApp(deps: AdminDeps): Hono {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const log = deps.log ?? ((m: string) => console.error(m));
  const app = new Hono({ strict: false });
  const counters = { requests: 0 };
  app.use("*", async (_c, next) => {
    counters.requests++;
    await next();
  });
  if (deps.adminToken) app.use("*", adminTokenAuth(deps.adminToken, log));
  const ready = deps.ready;
  if (ready) {
    app.use("*", async (c, next) => {
      const problem = await ready();
      if (problem) return c.json({ message: problem }, 503);
      await next();
    });
  }

  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ message: "Request body too large" }, 413),
    }),
  );

  const available = Object.fromEntries(
    PLUGINS.map((p) => [p.name, { version: p.version, priority: p.priority }]),
  );
  app.get("/", (c) =>
    c.json({
      version: KONG_VERSION,
      lintel_version: LINTEL_VERSION,
      edition: "community",
      tagline: "Welcome to kong",
      hostname: deps.hostname,
      node_id: deps.nodeId,
      configuration: deps.configuration,
      plugins: { available_on_server: available, enabled_in_cluster: [] },
    }),
  );
  app.get("/plugins/enabled", (c) => c.json({ enabled_plugins: PLUGINS.map((p) => p.name) }));

  const daos = deps.daos;
  mountUpstreamHealth(app, { daos, nodeId: deps.nodeId, reports: deps.targetHealth ?? (() => ({})) });
  mountConsumerSearch(app, daos);
  for (const name of ENTITY_NAMES) mountEntity(app, daos, daos[name]);
  for (const name of ENTITY_NAMES) {
    for (const fk of daos[name].fks)
      mountNested(app, daos, daos[fk.references as EntityName], daos[name], fk);
  }
  mountClustering(app, deps.dataPlanes, now, deps.currentHash);
  mountMetrics(app, {
    db: deps.db,
    daos,
    targetHealth: deps.targetHealth ?? (() => ({})),
    dataPlanes: deps.dataPlanes,
    nodeId: deps.nodeId,
    now,
    currentHash: deps.currentHash,
    reports: deps.dataPlaneMetrics ?? (() => []),
    log,
  });
  mountTags(app, deps.db);
  mountConfig(app, { db: deps.db, daos });
  const openapi = openApiDocument(daos);
  app.get("/openapi.json", (c) => c.json(openapi));
  app.get("/docs", (c) => c.html(DOCS_PAGE));
  mountInfo(app, { db: deps.db, daos, counters });

  app.notFound(notFound);
  app.onError((e, c) => {
    log(
      `[lintel] admin: ${c.req.method} ${c.req.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    return unexpected(c);
  });
  return app;
}
