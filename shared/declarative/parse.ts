import { ENTITIES, ENTITY_ORDER } from "../entities/registry";
import type { FieldErrors } from "../schema/types";
import { checkEntity, isUuid, validateEntity } from "../schema/validate";
import { err, ok, type Result } from "../util/result";
import { declarativeId } from "../util/uuid-v5";

/** Kong's default workspace id, part of the keys some declarative ids are derived from. */
export const DEFAULT_WORKSPACE_ID = "0dc6f45b-8f8d-40d2-a504-473544ee190b";
const FORMAT_VERSIONS = ["1.1", "2.1", "3.0"];
const META_KEYS = new Set(["_format_version", "_transform", "_comment", "_workspace", "_info"]);

type Path = Array<string | number>;
type Item = { entity: string; body: Record<string, unknown>; path: Path };

export type FlatError = {
  entity_type: string;
  entity_id?: string;
  entity_name?: string;
  entity: Record<string, unknown>;
  errors: Array<{ type: "field" | "entity"; field?: string; message: string }>;
};

export type DeclarativeError = { fields: Record<string, unknown>; flattened: FlatError[] };

export type ParsedConfig = {
  /** Validated entities by type, in Kong's order, foreign keys as `{ id }`. */
  entities: Record<string, Array<Record<string, unknown>>>;
  /** `_transform`: whether secrets are given in clear (and must be hashed on import). */
  transform: boolean;
};

/** An own property even for names such as `__proto__`, which would otherwise reach the prototype. */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Puts an error at its place in a tree shaped like the input (arrays by position). */
function setAt(tree: Record<string, unknown>, path: Path, errors: Record<string, unknown> | string): void {
  let cur: Record<string, unknown> | unknown[] = tree;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    const nextIsIndex = typeof path[i + 1] === "number";
    const container = cur as Record<string | number, unknown>;
    if (container[key] === undefined || container[key] === null) container[key] = nextIsIndex ? [] : {};
    cur = container[key] as Record<string, unknown> | unknown[];
  }
  const last = path[path.length - 1] as string | number;
  const container = cur as Record<string | number, unknown>;
  if (typeof errors === "string" || !isObject(container[last])) container[last] = errors;
  else container[last] = { ...(container[last] as object), ...errors };
  if (Array.isArray(cur)) for (let i = 0; i < cur.length; i++) if (cur[i] === undefined) cur[i] = null;
}

/**
 * Reads a declarative config (`kong.yml`, format 3.0) the way Kong does: nested entities get their
 * parent's key, references by id or by name are resolved, ids are derived as Kong derives them, and
 * every entity is validated with its schema. Errors come back shaped like the input.
 */
export function parseDeclarative(input: unknown): Result<ParsedConfig, DeclarativeError> {
  const fields: Record<string, unknown> = {};
  const flattened: FlatError[] = [];
  if (!isObject(input))
    return err({ fields: { "@entity": ["expected a declarative configuration"] }, flattened });
  const version = input._format_version;
  if (version === undefined || version === null) fields._format_version = "required field missing";
  else if (typeof version !== "string" || !FORMAT_VERSIONS.includes(version)) {
    fields._format_version = `expected one of: ${FORMAT_VERSIONS.join(", ")}`;
  }
  for (const key of Object.keys(input)) {
    if (!META_KEYS.has(key) && !Object.hasOwn(ENTITIES, key)) setOwn(fields, key, "unknown field");
  }
  if (Object.keys(fields).length) return err({ fields, flattened });

  const items: Item[] = [];
  const fail = (item: Item, errors: Record<string, unknown>) => {
    setAt(fields, item.path, errors);
    flattened.push({
      entity_type: item.entity.replace(/s$/, ""),
      entity_id: typeof item.body.id === "string" ? item.body.id : undefined,
      entity_name: typeof item.body.name === "string" ? item.body.name : undefined,
      entity: item.body,
      errors: Object.entries(errors).flatMap(([field, message]): FlatError["errors"] =>
        field === "@entity"
          ? (message as string[]).map((m) => ({ type: "entity", message: m }))
          : [
              {
                type: "field",
                field,
                message: typeof message === "string" ? message : JSON.stringify(message),
              },
            ],
      ),
    });
  };

  function collect(entity: string, list: unknown, path: Path, parent?: { entity: string; id: string }) {
    if (!Array.isArray(list)) {
      setAt(fields, path, "expected an array");
      return;
    }
    const meta = ENTITIES[entity];
    if (!meta) return;
    for (const [i, raw] of list.entries()) {
      const at = [...path, i];
      if (!isObject(raw)) {
        setAt(fields, at, "expected a record");
        continue;
      }
      const body: Record<string, unknown> = {};
      const nested: Array<[string, unknown]> = [];
      for (const [k, v] of Object.entries(raw)) {
        if (meta.children && Object.hasOwn(meta.children, k)) nested.push([k, v]);
        else setOwn(body, k, v);
      }
      if (body.id !== undefined && !isUuid(body.id)) {
        setAt(fields, at, { id: "expected a valid UUID" });
        continue;
      }
      if (parent) {
        const fk = meta.foreign.find((f) => f.references === parent.entity);
        if (fk) body[fk.field] = { id: parent.id };
      }
      body.id = idFor(entity, body, parent);
      items.push({ entity, body, path: at });
      for (const [k, v] of nested)
        collect(meta.children?.[k] as string, v, [...at, k], { entity, id: body.id as string });
    }
  }

  for (const entity of ENTITY_ORDER) {
    if (input[entity] !== undefined && input[entity] !== null) collect(entity, input[entity], [entity]);
  }

  // Index every entity by id and by its endpoint key, refusing duplicates as Kong does.
  const byId = new Map<string, Map<string, Item>>();
  const byKey = new Map<string, Map<string, Item>>();
  for (const item of items) {
    const meta = ENTITIES[item.entity];
    const ids = byId.get(item.entity) ?? new Map<string, Item>();
    byId.set(item.entity, ids);
    const id = String(item.body.id);
    if (ids.has(id)) {
      fail(item, {
        "@entity": [
          `uniqueness violation: '${item.entity}' entity with primary key set to '${id}' already declared`,
        ],
      });
    }
    ids.set(id, item);
    const keyName = meta?.schema.endpointKey;
    const key = keyName ? item.body[keyName] : undefined;
    if (meta?.globalKey && typeof key === "string") {
      const keys = byKey.get(item.entity) ?? new Map<string, Item>();
      byKey.set(item.entity, keys);
      if (keys.has(key)) {
        fail(item, {
          "@entity": [
            `uniqueness violation: '${item.entity}' entity with ${keyName} set to '${key}' already declared`,
          ],
        });
      }
      keys.set(key, item);
    }
  }

  // Resolve references given as an id, a name, `{ id }` or `{ name }`.
  for (const item of items) {
    const meta = ENTITIES[item.entity];
    for (const fk of meta?.foreign ?? []) {
      const value = item.body[fk.field];
      if (value === undefined || value === null) continue;
      const ref = isObject(value)
        ? (value.id ?? value[ENTITIES[fk.references]?.schema.endpointKey ?? "name"])
        : value;
      if (typeof ref !== "string") continue; // the schema reports the type
      const target =
        (isUuid(ref) ? byId.get(fk.references)?.get(ref.toLowerCase()) : undefined) ??
        byKey.get(fk.references)?.get(ref);
      if (!target) {
        fail(item, {
          [fk.field]: `invalid reference '${fk.field}: ${ref}' (no such entry in '${fk.references}')`,
        });
        continue;
      }
      item.body[fk.field] = { id: target.body.id };
    }
  }
  if (Object.keys(fields).length) return err({ fields, flattened });

  const entities: Record<string, Array<Record<string, unknown>>> = {};
  for (const item of items) {
    const schema = ENTITIES[item.entity]?.schema;
    if (!schema) continue;
    const v = validateEntity(schema, item.body, "insert");
    const problems: FieldErrors | undefined = v.ok ? checkEntity(schema, v.value) : v.error;
    if (problems || !v.ok) {
      fail(item, problems ?? {});
      continue;
    }
    const list = entities[item.entity] ?? [];
    entities[item.entity] = list;
    list.push(v.value);
  }
  if (Object.keys(fields).length) return err({ fields, flattened });
  return ok({ entities, transform: input._transform !== false });
}

/** The id Kong gives an entity without one: derived from its key where it has one, random otherwise. */
function idFor(entity: string, body: Record<string, unknown>, parent?: { id: string }): string {
  if (typeof body.id === "string") return body.id.toLowerCase();
  const meta = ENTITIES[entity];
  const keyName = meta?.schema.endpointKey;
  const key = keyName ? body[keyName] : undefined;
  if (typeof key === "string") {
    if (meta?.globalKey) return declarativeId(entity, key);
    // not unique on its own (targets): the parent's id and the workspace make it so
    const upstream = (body.upstream as { id?: string } | undefined)?.id ?? parent?.id;
    if (upstream) return declarativeId(entity, `${key}:${upstream}:${DEFAULT_WORKSPACE_ID}`);
  }
  return crypto.randomUUID();
}
