import { ENTITIES, ENTITY_ORDER } from "../entities/registry";
import type { DeclarativeConfig } from "./config";
import { flattenForeignKeys } from "./config";
import { parseDeclarative } from "./parse";

/**
 * A `kong.yml` bundled with a data plane (Kong's `declarative_config`), read into the shape a CP's
 * export has. Undefined, with the reason, when it is not a valid config.
 */
export async function bundledConfig(input: unknown): Promise<{ config?: DeclarativeConfig; error?: string }> {
  const parsed = parseDeclarative(input);
  if (!parsed.ok) return { error: JSON.stringify(parsed.error.fields) };
  const config: Record<string, unknown> = { _format_version: "3.0", _transform: false };
  for (const name of ENTITY_ORDER) {
    const list = parsed.value.entities[name];
    const foreign = ENTITIES[name]?.foreign.map((f) => f.field) ?? [];
    if (list?.length) config[name] = list.map((e) => flattenForeignKeys({ created_at: 0, ...e }, foreign));
  }
  return { config: config as DeclarativeConfig };
}
