import type { Context, Hono } from "hono";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { calculateConfigHash } from "../../shared/hash/config-hash";
import { importDeclarative } from "../cluster/declarative";
import { exportConfig, readConfigVersion } from "../cluster/export";
import type { Daos } from "../dao";
import type { Db } from "../db/client";
import { kongError } from "./kong-response";

const truthy = (v: string | undefined) =>
  v !== undefined && ["1", "true", "on", "yes"].includes(v.toLowerCase());

/** A declarative config from a request: a JSON body, a `config` field (YAML or JSON text), or a raw YAML body. */
async function readConfig(
  c: Context,
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const text = await c.req.text();
  if (text.trim() === "")
    return { ok: false, response: c.json({ message: "expected a declarative configuration" }, 400) };
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  let value: unknown;
  try {
    if (type.includes("application/x-www-form-urlencoded")) {
      value = new URLSearchParams(text).get("config") ?? "";
    } else {
      value = parseYaml(text, { maxAliasCount: 100 }); // YAML is a superset of JSON
    }
    if (typeof value === "object" && value !== null && !("_format_version" in value) && "config" in value) {
      value = (value as { config: unknown }).config;
    }
    if (typeof value === "string") value = parseYaml(value, { maxAliasCount: 100 });
  } catch (e) {
    const reason = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return {
      ok: false,
      response: c.json(
        {
          code: 14,
          name: "invalid declarative configuration",
          message: `failed parsing declarative configuration: ${reason}`,
          fields: {},
        },
        400,
      ),
    };
  }
  return { ok: true, value };
}

/**
 * `/config`: GET exports the whole configuration as a `kong.yml` (Kong's `{ config }` body, or
 * the YAML itself for `Accept: application/yaml`); POST replaces it with one, atomically.
 */
export function mountConfig(app: Hono, deps: { db: Db; daos: Daos }): void {
  // The hash of the last kong.yml imported here, and the config version it produced: the config
  // is still that file only while the version has not moved (no write since, on any node).
  let lastImport: { hash: string; version: number } | undefined;

  app.get("/config", async (c) => {
    const { config } = await exportConfig(deps.db, deps.daos, { includeDisabled: true });
    const yaml = stringifyYaml(config, { lineWidth: 0 });
    if ((c.req.header("accept") ?? "").includes("yaml")) {
      return c.body(yaml, 200, { "content-type": "application/yaml; charset=utf-8" });
    }
    return c.json({ config: yaml });
  });

  app.post("/config", async (c) => {
    const input = await readConfig(c);
    if (!input.ok) return input.response;
    const hash =
      typeof input.value === "object" && input.value !== null
        ? calculateConfigHash(input.value as Record<string, unknown>).config
        : undefined;
    if (c.req.query("check_hash") === "1" && hash !== undefined && hash === lastImport?.hash) {
      if ((await readConfigVersion(deps.db)) === lastImport.version) return c.body(null, 304);
    }
    const r = await importDeclarative(deps.db, deps.daos, input.value, {
      flatten: truthy(c.req.query("flatten_errors")),
    });
    if (!r.ok) return kongError(c, r.error);
    lastImport = hash === undefined ? undefined : { hash, version: await readConfigVersion(deps.db) };
    const byId = Object.fromEntries(
      Object.entries(r.value).map(([name, list]) => [name, Object.fromEntries(list.map((e) => [e.id, e]))]),
    );
    return c.json(byId, 201);
  });
}
