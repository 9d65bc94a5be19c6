import { sql } from "drizzle-orm";
import type { Context, Hono } from "hono";
import { pluginsSchema } from "../../shared/entities/plugins";
import { pluginDefinition } from "../../shared/plugins/definitions";
import { schemaViolation } from "../../shared/schema/errors";
import type { EntitySchema } from "../../shared/schema/types";
import { checkEntity, validateEntity } from "../../shared/schema/validate";
import { type Daos, ENTITY_NAMES } from "../dao";
import type { Db } from "../db/client";
import { readBody } from "./body";
import { methodNotAllowed, options } from "./kong-response";
import { checksJson, fieldJson, schemaJson } from "./schema-json";

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** `/status`, `/endpoints`, `/schemas/...`: what Kong's node information endpoints answer. */
export function mountInfo(app: Hono, deps: { db: Db; daos: Daos; counters: { requests: number } }): void {
  app.get("/status", async (c) => {
    let reachable = true;
    try {
      await deps.db.execute(sql`select 1`);
    } catch {
      reachable = false;
    }
    const heap = typeof process !== "undefined" ? process.memoryUsage().heapUsed : 0;
    return c.json({
      database: { reachable },
      server: { total_requests: deps.counters.requests },
      memory: {
        workers_lua_vms: [
          { pid: typeof process !== "undefined" ? process.pid : 0, http_allocated_gc: mib(heap) },
        ],
        lua_shared_dicts: {},
      },
    });
  });

  app.get("/endpoints", (c) => {
    const paths = new Set(
      app.routes.filter((r) => r.method !== "ALL").map((r) => r.path.replace(/:(\w+)/g, "{$1}")),
    );
    const sorted = [...paths]
      .filter((p) => !p.includes("*"))
      .sort((a, b) => {
        const x = a.replaceAll("/", "\u0000");
        const y = b.replaceAll("/", "\u0000");
        return x < y ? -1 : x > y ? 1 : 0;
      });
    return c.json({ data: sorted });
  });

  const entityByName = (name: string) =>
    (ENTITY_NAMES as readonly string[]).includes(name) ? deps.daos[name as keyof Daos] : undefined;

  app.get("/schemas/plugins/:name", (c) => {
    const def = pluginDefinition(c.req.param("name"));
    if (!def) return c.json({ message: `No plugin named '${c.req.param("name")}'` }, 404);
    const sub = pluginsSchema.subschemas?.(def.name);
    return c.json({
      fields: Object.entries(sub?.fields ?? {}).map(([n, f]) => ({ [n]: fieldJson(f) })),
      entity_checks: checksJson(sub?.checks),
    });
  });
  app.post("/schemas/plugins/validate", async (c) => {
    const body = await readBody(c, pluginsSchema);
    if (!body.ok) return body.response;
    return validate(c, pluginsSchema, body.value);
  });
  app.options("/schemas/plugins/validate", (c) => options(c, "OPTIONS, POST"));
  app.get("/schemas/plugins/validate", methodNotAllowed);

  app.get("/schemas/:entity", (c) => {
    const dao = entityByName(c.req.param("entity"));
    if (!dao) return c.json({ message: `No entity named '${c.req.param("entity")}'` }, 404);
    return c.json(schemaJson(dao.schema));
  });
  app.post("/schemas/:entity/validate", async (c) => {
    const dao = entityByName(c.req.param("entity"));
    if (!dao) return c.json({ message: `No entity named '${c.req.param("entity")}'` }, 404);
    const body = await readBody(c, dao.schema);
    if (!body.ok) return body.response;
    return validate(c, dao.schema, body.value);
  });
  app.options("/schemas/:entity/validate", (c) => options(c, "OPTIONS, POST"));
}

function validate(c: Context, schema: EntitySchema, body: Record<string, unknown>) {
  const v = validateEntity(schema, body, "insert");
  const errors = v.ok ? checkEntity(schema, v.value) : v.error;
  if (errors) return c.json(schemaViolation(errors), 400);
  return c.json({ message: "schema validation successful" });
}
