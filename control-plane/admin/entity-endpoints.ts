import type { Context, Hono } from "hono";
import type { KongError } from "../../shared/schema/errors";
import { luaTable } from "../../shared/schema/errors";
import { parseTagsFilter, type TagsFilter } from "../../shared/schema/tags-filter";
import { isUuid } from "../../shared/schema/validate";
import type { Daos } from "../dao";
import { type Entity, EntityDao } from "../dao/entity-dao";
import { readBody } from "./body";
import { kongError, methodNotAllowed, notFound, options } from "./kong-response";

const COLLECTION_METHODS = "GET, HEAD, OPTIONS, POST";
const ENTITY_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, PUT";

/** A path parameter, already percent-decoded by Hono (decoding it again would fail on `%`). */
const param = (c: Context, name: string): string => c.req.param(name) ?? "";

/** A lookup that ended in a response: not found, or an invalid name. */
type Found = { entity: Entity } | { response: Response };

async function find(c: Context, dao: EntityDao, key: string): Promise<Found> {
  const r = await dao.lookup(key);
  if (!r.ok) return { response: kongError(c, r.error) };
  if (!r.value) return { response: notFound(c) };
  return { entity: r.value };
}

/**
 * Kong accepts a foreign key as `{ id }` or by the referenced entity's endpoint key (`{ name }`);
 * an unknown name is Kong's "foreign keys unresolved".
 */
async function resolveForeign(
  daos: Daos,
  dao: EntityDao,
  body: Record<string, unknown>,
): Promise<KongError | undefined> {
  for (const [field, def] of Object.entries(dao.schema.fields)) {
    if (def.type !== "foreign") continue;
    const value = body[field] as Record<string, unknown> | null | undefined;
    if (!value || typeof value !== "object" || isUuid(value.id) || !("name" in value) || value.name === null)
      continue;
    const parent = daos[def.reference as keyof Daos];
    if (!parent || typeof value.name !== "string") continue;
    const found = await parent.lookup(value.name);
    if (found.ok && found.value) {
      body[field] = { id: found.value.id };
      continue;
    }
    const sentence = `the foreign key cannot be resolved with '${luaTable({ name: value.name })}' for an existing '${def.reference}' entity`;
    return {
      code: 13,
      name: "foreign keys unresolved",
      message: `foreign key unresolved (${field}.name: ${sentence})`,
      fields: { [field]: { name: sentence } },
    };
  }
  return undefined;
}

function listResponse(c: Context, page: { data: Entity[]; offset?: string }, base: string) {
  if (!page.offset) return c.json({ data: page.data, next: null });
  const size = c.req.query("size");
  const tags = c.req.query("tags");
  const next = `${base}?offset=${encodeURIComponent(page.offset)}${tags ? `&tags=${encodeURIComponent(tags)}` : ""}${size ? `&size=${size}` : ""}`;
  return c.json({ data: page.data, offset: page.offset, next });
}

async function list(c: Context, dao: EntityDao, base: string, filter?: { column: string; value: unknown }) {
  const paging = EntityDao.parsePaging(c.req.query("size"), c.req.query("offset"));
  if (!paging.ok) return kongError(c, paging.error);
  const rawTags = c.req.query("tags");
  let tags: TagsFilter | undefined;
  if (rawTags !== undefined) {
    const parsed = parseTagsFilter(rawTags);
    if (!parsed.ok) return kongError(c, parsed.error);
    tags = parsed.value;
  }
  const page = await dao.page(paging.value.size, paging.value.after, filter, tags);
  return listResponse(c, page, base);
}

async function create(c: Context, daos: Daos, dao: EntityDao, parent?: { field: string; id: string }) {
  const body = await readBody(c, dao.schema);
  if (!body.ok) return body.response;
  if (parent) body.value[parent.field] = { id: parent.id };
  const unresolved = await resolveForeign(daos, dao, body.value);
  if (unresolved) return kongError(c, unresolved);
  const r = await dao.insert(body.value);
  return r.ok ? c.json(r.value, 201) : kongError(c, r.error);
}

async function put(
  c: Context,
  daos: Daos,
  dao: EntityDao,
  key: string,
  parent?: { field: string; id: string },
) {
  const body = await readBody(c, dao.schema);
  if (!body.ok) return body.response;
  if (parent) body.value[parent.field] = { id: parent.id };
  const k = dao.keyFor(key);
  if (!k.ok) return kongError(c, k.error);
  const unresolved = await resolveForeign(daos, dao, body.value);
  if (unresolved) return kongError(c, unresolved);
  const r = await dao.upsert(k.value, body.value);
  return r.ok ? c.json(r.value, 200) : kongError(c, r.error);
}

async function patch(
  c: Context,
  daos: Daos,
  dao: EntityDao,
  existing: Entity,
  parent?: { field: string; id: string },
) {
  const body = await readBody(c, dao.schema);
  if (!body.ok) return body.response;
  if (parent && !(parent.field in body.value)) body.value[parent.field] = { id: parent.id };
  const unresolved = await resolveForeign(daos, dao, body.value);
  if (unresolved) return kongError(c, unresolved);
  const r = await dao.update(existing, body.value);
  return r.ok ? c.json(r.value, 200) : kongError(c, r.error);
}

async function remove(c: Context, dao: EntityDao, key: string) {
  const r = await dao.lookup(key);
  if (!r.ok) return kongError(c, r.error);
  if (r.value) {
    const d = await dao.delete(r.value.id);
    if (!d.ok) return kongError(c, d.error);
  }
  return c.body(null, 204);
}

/** `/{entity}` and `/{entity}/{id or name}`, as Kong generates them for every entity. */
export function mountEntity(app: Hono, daos: Daos, dao: EntityDao): void {
  const base = `/${dao.name}`;
  app.get(base, (c) => list(c, dao, base));
  app.post(base, (c) => create(c, daos, dao));
  app.options(base, (c) => options(c, COLLECTION_METHODS));
  app.on(["PUT", "PATCH", "DELETE"], base, methodNotAllowed);

  const one = `${base}/:key`;
  app.get(one, async (c) => {
    const f = await find(c, dao, param(c, "key"));
    return "response" in f ? f.response : c.json(f.entity);
  });
  app.put(one, (c) => put(c, daos, dao, param(c, "key")));
  app.patch(one, async (c) => {
    const key = param(c, "key");
    const r = await dao.lookup(key);
    if (!r.ok) return kongError(c, r.error);
    if (!r.value) {
      const k = dao.keyFor(key);
      const by = k.ok ? { [k.value.column]: k.value.value } : { id: key };
      const message =
        k.ok && k.value.column === "id"
          ? `could not find the entity with primary key '${luaTable(by)}'`
          : `could not find the entity with '${luaTable(by)}'`;
      return kongError(c, { code: 6, name: "not found", message, fields: by });
    }
    return patch(c, daos, dao, r.value);
  });
  app.delete(one, (c) => remove(c, dao, param(c, "key")));
  app.options(one, (c) => options(c, ENTITY_METHODS));
  app.post(one, methodNotAllowed);
}

/**
 * The nested paths of a child with a foreign key to a parent: `/services/{s}/routes`,
 * `/services/{s}/routes/{r}` and `/routes/{r}/service`.
 */
export function mountNested(
  app: Hono,
  daos: Daos,
  parent: EntityDao,
  child: EntityDao,
  fk: { field: string; column: string },
): void {
  const collection = `/${parent.name}/:parent/${child.name}`;
  app.get(collection, async (c) => {
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p.response;
    return list(c, child, `/${parent.name}/${param(c, "parent")}/${child.name}`, {
      column: fk.column,
      value: p.entity.id,
    });
  });
  app.post(collection, async (c) => {
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p.response;
    return create(c, daos, child, { field: fk.field, id: p.entity.id });
  });
  app.options(collection, (c) => options(c, COLLECTION_METHODS));

  const belongs = (e: Entity, parentId: string) => (e[fk.field] as { id?: string } | null)?.id === parentId;
  const nested = `${collection}/:child`;
  const both = async (c: Context) => {
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p;
    const ch = await find(c, child, param(c, "child"));
    if ("response" in ch) return ch;
    if (!belongs(ch.entity, p.entity.id)) return { response: notFound(c) };
    return { parent: p.entity, child: ch.entity };
  };
  app.get(nested, async (c) => {
    const r = await both(c);
    return "response" in r ? r.response : c.json(r.child);
  });
  app.patch(nested, async (c) => {
    const r = await both(c);
    return "response" in r
      ? r.response
      : patch(c, daos, child, r.child, { field: fk.field, id: r.parent.id });
  });
  app.delete(nested, async (c) => {
    const r = await both(c);
    if ("response" in r) return r.response;
    const d = await child.delete(r.child.id);
    return d.ok ? c.body(null, 204) : kongError(c, d.error);
  });
  app.put(nested, async (c) => {
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p.response;
    return put(c, daos, child, param(c, "child"), { field: fk.field, id: p.entity.id });
  });
  app.options(nested, (c) => options(c, ENTITY_METHODS));

  const owner = `/${child.name}/:child/${fk.field}`;
  const ownerOf = async (c: Context): Promise<Found> => {
    const ch = await find(c, child, param(c, "child"));
    if ("response" in ch) return ch;
    const ref = ch.entity[fk.field] as { id: string } | null;
    if (!ref) return { response: notFound(c) };
    return find(c, parent, ref.id);
  };
  app.get(owner, async (c) => {
    const f = await ownerOf(c);
    return "response" in f ? f.response : c.json(f.entity);
  });
  app.patch(owner, async (c) => {
    const f = await ownerOf(c);
    return "response" in f ? f.response : patch(c, daos, parent, f.entity);
  });
  app.put(owner, async (c) => {
    const ch = await find(c, child, param(c, "child"));
    if ("response" in ch) return ch.response;
    const ref = ch.entity[fk.field] as { id: string } | null;
    if (ref) return put(c, daos, parent, ref.id);
    const body = await readBody(c, parent.schema);
    if (!body.ok) return body.response;
    const created = await parent.insert(body.value);
    if (!created.ok) return kongError(c, created.error);
    const linked = await child.update(ch.entity, { [fk.field]: { id: created.value.id } });
    return linked.ok ? c.json(created.value, 200) : kongError(c, linked.error);
  });
  app.delete(owner, async (c) => {
    const f = await ownerOf(c);
    return "response" in f ? f.response : methodNotAllowed(c);
  });
  app.options(owner, (c) => options(c, "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"));
}
