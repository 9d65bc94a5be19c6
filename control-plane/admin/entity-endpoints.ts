import type { Context, Hono } from "hono";
import type { KongError } from "../../shared/schema/errors";
import { luaTable } from "../../shared/schema/errors";
import { parseTagsFilter, type TagsFilter } from "../../shared/schema/tags-filter";
import { isUuid } from "../../shared/schema/validate";
import type { Daos } from "../dao";
import { type Entity, EntityDao, type ForeignKey } from "../dao/entity-dao";
import { readBody } from "./body";
import { kongError, methodNotAllowed, notFound, options } from "./kong-response";

const COLLECTION_METHODS = "GET, HEAD, OPTIONS, POST";
const ENTITY_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, PUT";

/** A path parameter, already percent-decoded by Hono (decoding it again would fail on `%`). */
const param = (c: Context, name: string): string => c.req.param(name) ?? "";

type Scope = { column: string; value: string };
type Parent = { field: string; id: string };

/** A lookup that ended in a response: not found, or an invalid key. */
type Found = { entity: Entity } | { response: Response };

async function find(c: Context, dao: EntityDao, key: string, scope?: Scope): Promise<Found> {
  const r = await dao.lookup(key, scope);
  if (!r.ok) return { response: kongError(c, r.error) };
  if (!r.value) return { response: notFound(c) };
  return { entity: r.value };
}

const show = async (c: Context, dao: EntityDao, entity: Entity, status: 200 | 201 = 200) =>
  c.json(await dao.present(entity), status);

/**
 * Kong accepts a foreign key as `{ id }` or by the referenced entity's endpoint key (`{ name }`,
 * `{ username }`); an unknown one is Kong's "foreign keys unresolved".
 */
async function resolveForeign(
  daos: Daos,
  dao: EntityDao,
  body: Record<string, unknown>,
): Promise<KongError | undefined> {
  for (const [field, def] of Object.entries(dao.schema.fields)) {
    if (def.type !== "foreign") continue;
    const value = body[field] as Record<string, unknown> | null | undefined;
    const parent = daos[def.reference as keyof Daos];
    const key = parent?.schema.endpointKey;
    if (!value || typeof value !== "object" || isUuid(value.id) || !parent || !key) continue;
    const given = value[key];
    if (typeof given !== "string") continue;
    const found = await parent.lookup(given);
    if (found.ok && found.value) {
      body[field] = { id: found.value.id };
      continue;
    }
    const sentence = `the foreign key cannot be resolved with '${luaTable({ [key]: given })}' for an existing '${def.reference}' entity`;
    return {
      code: 13,
      name: "foreign keys unresolved",
      message: `foreign key unresolved (${field}.${key}: ${sentence})`,
      fields: { [field]: { [key]: sentence } },
    };
  }
  return undefined;
}

async function list(c: Context, dao: EntityDao, base: string, scope?: Scope) {
  const paging = EntityDao.parsePaging(c.req.query("size"), c.req.query("offset"));
  if (!paging.ok) return kongError(c, paging.error);
  const rawTags = c.req.query("tags");
  let tags: TagsFilter | undefined;
  if (rawTags !== undefined) {
    const parsed = parseTagsFilter(rawTags);
    if (!parsed.ok) return kongError(c, parsed.error);
    tags = parsed.value;
  }
  const page = await dao.page(paging.value.size, paging.value.after, scope, tags);
  const data = await Promise.all(page.data.map((e) => dao.present(e)));
  if (!page.offset) return c.json({ data, next: null });
  const size = c.req.query("size");
  const next = `${base}?offset=${encodeURIComponent(page.offset)}${rawTags ? `&tags=${encodeURIComponent(rawTags)}` : ""}${size ? `&size=${size}` : ""}`;
  return c.json({ data, offset: page.offset, next });
}

async function create(c: Context, daos: Daos, dao: EntityDao, parent?: Parent) {
  const body = await readBody(c, dao.schema);
  if (!body.ok) return body.response;
  if (parent) body.value[parent.field] = { id: parent.id };
  const unresolved = await resolveForeign(daos, dao, body.value);
  if (unresolved) return kongError(c, unresolved);
  const r = await dao.insert(body.value);
  return r.ok ? show(c, dao, r.value, 201) : kongError(c, r.error);
}

async function put(
  c: Context,
  daos: Daos,
  dao: EntityDao,
  key: string,
  parent?: Parent & { column: string },
) {
  const body = await readBody(c, dao.schema);
  if (!body.ok) return body.response;
  if (parent) body.value[parent.field] = { id: parent.id };
  const k = dao.keyFor(key, parent !== undefined);
  if (!k.ok) return kongError(c, k.error);
  const unresolved = await resolveForeign(daos, dao, body.value);
  if (unresolved) return kongError(c, unresolved);
  const r = await dao.upsert(
    k.value,
    body.value,
    parent ? { column: parent.column, value: parent.id } : undefined,
  );
  return r.ok ? show(c, dao, r.value) : kongError(c, r.error);
}

async function patch(c: Context, daos: Daos, dao: EntityDao, existing: Entity, parent?: Parent) {
  const body = await readBody(c, dao.schema);
  if (!body.ok) return body.response;
  if (parent && !(parent.field in body.value)) body.value[parent.field] = { id: parent.id };
  const unresolved = await resolveForeign(daos, dao, body.value);
  if (unresolved) return kongError(c, unresolved);
  const r = await dao.update(existing, body.value);
  return r.ok ? show(c, dao, r.value) : kongError(c, r.error);
}

/** Kong's 404 for a PATCH of a missing entity is the whole error object. */
function patchNotFound(c: Context, dao: EntityDao, key: string) {
  const k = dao.keyFor(key);
  const by = k.ok ? { [k.value.column]: k.value.value } : { id: key };
  const message =
    k.ok && k.value.column === "id"
      ? `could not find the entity with primary key '${luaTable(by)}'`
      : `could not find the entity with '${luaTable(by)}'`;
  return kongError(c, { code: 6, name: "not found", message, fields: by });
}

/** `/{entity}` and `/{entity}/{id or endpoint key}`, as Kong generates them for every entity. */
export function mountEntity(app: Hono, daos: Daos, dao: EntityDao): void {
  const base = `/${dao.adminName}`;
  const one = `${base}/:key`;
  if (dao.opts.nestedOnly) {
    // served under its parent only, as Kong disables `/targets`
    app.all(base, notFound);
    app.all(`${one}/*`, notFound);
    app.all(one, notFound);
    return;
  }
  app.get(base, (c) => list(c, dao, base));
  app.post(base, (c) => create(c, daos, dao));
  app.options(base, (c) => options(c, COLLECTION_METHODS));
  app.on(["PUT", "PATCH", "DELETE"], base, methodNotAllowed);

  app.get(one, async (c) => {
    const f = await find(c, dao, param(c, "key"));
    return "response" in f ? f.response : show(c, dao, f.entity);
  });
  app.put(one, (c) => put(c, daos, dao, param(c, "key")));
  app.patch(one, async (c) => {
    const r = await dao.lookup(param(c, "key"));
    if (!r.ok) return kongError(c, r.error);
    return r.value ? patch(c, daos, dao, r.value) : patchNotFound(c, dao, param(c, "key"));
  });
  app.delete(one, async (c) => {
    const r = await dao.lookup(param(c, "key"));
    if (!r.ok) return kongError(c, r.error);
    if (r.value) {
      const d = await dao.delete(r.value.id);
      if (!d.ok) return kongError(c, d.error);
    }
    return c.body(null, 204);
  });
  app.options(one, (c) => options(c, ENTITY_METHODS));
  app.post(one, methodNotAllowed);
}

/**
 * The paths Kong generates for a foreign key: `/{parents}/{p}/{children}`,
 * `/{parents}/{p}/{children}/{c}` and `/{children}/{c}/{fk}`.
 */
export function mountNested(
  app: Hono,
  daos: Daos,
  parent: EntityDao,
  child: EntityDao,
  fk: ForeignKey,
): void {
  const collection = `/${parent.adminName}/:parent/${child.nestedName}`;
  const scopeOf = (id: string): Scope => ({ column: fk.column, value: id });
  app.get(collection, async (c) => {
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p.response;
    return list(
      c,
      child,
      `/${parent.adminName}/${param(c, "parent")}/${child.nestedName}`,
      scopeOf(p.entity.id),
    );
  });
  app.post(collection, async (c) => {
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p.response;
    return create(c, daos, child, { field: fk.field, id: p.entity.id });
  });
  app.options(collection, (c) => options(c, COLLECTION_METHODS));
  app.on(["PUT", "PATCH", "DELETE"], collection, methodNotAllowed);

  const nested = `${collection}/:child`;
  const both = async (c: Context) => {
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p;
    const ch = await find(c, child, param(c, "child"), scopeOf(p.entity.id));
    if ("response" in ch) return ch;
    return { parent: p.entity, child: ch.entity };
  };
  app.get(nested, async (c) => {
    const r = await both(c);
    return "response" in r ? r.response : show(c, child, r.child);
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
    if (child.opts.nestedOnly) {
      // Kong's targets: PUT updates an existing one, it does not create
      const r = await both(c);
      return "response" in r
        ? r.response
        : patch(c, daos, child, r.child, { field: fk.field, id: r.parent.id });
    }
    const p = await find(c, parent, param(c, "parent"));
    if ("response" in p) return p.response;
    return put(c, daos, child, param(c, "child"), { field: fk.field, id: p.entity.id, column: fk.column });
  });
  app.options(nested, (c) => options(c, ENTITY_METHODS));

  if (child.opts.nestedOnly) return;
  const owner = `/${child.adminName}/:child/${fk.field}`;
  const ownerOf = async (c: Context): Promise<Found> => {
    const ch = await find(c, child, param(c, "child"));
    if ("response" in ch) return ch;
    const ref = ch.entity[fk.field] as { id: string } | null;
    if (!ref) return { response: notFound(c) };
    return find(c, parent, ref.id);
  };
  app.get(owner, async (c) => {
    const f = await ownerOf(c);
    return "response" in f ? f.response : show(c, parent, f.entity);
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
    return linked.ok ? show(c, parent, created.value) : kongError(c, linked.error);
  });
  app.delete(owner, async (c) => {
    const f = await ownerOf(c);
    return "response" in f ? f.response : methodNotAllowed(c);
  });
  app.options(owner, (c) => options(c, ENTITY_METHODS));
}
