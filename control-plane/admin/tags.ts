import { sql } from "drizzle-orm";
import type { Context, Hono } from "hono";
import { tags } from "../../shared/entities/typedefs";
import { invalidOffset } from "../../shared/schema/errors";
import { validateField } from "../../shared/schema/validate";
import { ENTITY_NAMES } from "../dao";
import { EntityDao } from "../dao/entity-dao";
import type { Db } from "../db/client";
import { kongError } from "./kong-response";

type TagRow = { entity_name: string; entity_id: string; tag: string };

/** Every (entity, tag) pair, in Kong's order: by entity id, then tag. */
function tagged(tag: string | undefined) {
  const parts = ENTITY_NAMES.map(
    (name) =>
      sql`select ${name}::text as entity_name, id::text as entity_id, unnest(tags) as tag from ${sql.identifier(name)}`,
  );
  const union = sql.join(parts, sql` union all `);
  return tag === undefined ? sql`(${union}) t` : sql`(${union}) t where t.tag = ${tag}`;
}

function decodeOffset(offset: string): [string, string] | undefined {
  try {
    const v = JSON.parse(atob(offset));
    return Array.isArray(v) && typeof v[0] === "string" && typeof v[1] === "string"
      ? [v[0], v[1]]
      : undefined;
  } catch {
    return undefined;
  }
}

/** `/tags` and `/tags/{tag}`: Kong's tag index, computed from the entities' own tags. */
export function mountTags(app: Hono, db: Db): void {
  const page = async (c: Context, tag: string | undefined, base: string) => {
    const paging = EntityDao.parsePaging(c.req.query("size"), undefined);
    if (!paging.ok) return kongError(c, paging.error);
    const rawOffset = c.req.query("offset");
    const after = rawOffset === undefined ? undefined : decodeOffset(rawOffset);
    if (rawOffset !== undefined && !after) return kongError(c, invalidOffset(rawOffset, "bad json encoding"));
    const size = paging.value.size;
    const where = after ? sql`where (entity_id, tag) > (${after[0]}, ${after[1]})` : sql``;
    const result = await db.execute(
      sql`select entity_name, entity_id, tag from ${tagged(tag)} ${where} order by entity_id, tag limit ${size + 1}`,
    );
    const rows = ((result as unknown as { rows?: TagRow[] }).rows ??
      (result as unknown as TagRow[])) as TagRow[];
    const data = rows.slice(0, size);
    const last = data[data.length - 1];
    if (rows.length <= size || !last) return c.json({ data, next: null });
    const offset = btoa(JSON.stringify([last.entity_id, last.tag])).replace(/=+$/, "");
    return c.json({ data, offset, next: `${base}?offset=${encodeURIComponent(offset)}` });
  };
  app.get("/tags", (c) => page(c, undefined, "/tags"));
  app.get("/tags/:tag", (c) => {
    const tag = c.req.param("tag");
    // Kong's check of the tag as an entity's tag, "invalid unique tag" (code 10) when it is not one
    const valid = validateField(tags().elements, tag);
    if (!valid.ok)
      return kongError(c, { code: 10, name: "invalid unique tag", message: String(valid.error) });
    return page(c, tag, `/tags/${encodeURIComponent(tag)}`);
  });
}
