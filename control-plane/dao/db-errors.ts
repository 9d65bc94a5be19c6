import {
  foreignKeyViolation,
  type KongError,
  primaryKeyViolation,
  referencedByOthers,
  schemaViolation,
  uniqueViolation,
} from "../../shared/schema/errors";
import type { EntityDaoOptions, ForeignKey } from "./entity-dao";

/** Postgres error codes Lintel maps to Kong's errors; the same on `pg` and on PGlite. */
export const PG_UNIQUE_VIOLATION = "23505";
export const PG_FOREIGN_KEY_VIOLATION = "23503";
/** Among others: a value too large for its index ("index row size … exceeds … maximum 2704"). */
export const PG_PROGRAM_LIMIT_EXCEEDED = "54000";

export type PgErrorInfo = { code?: string; constraint?: string; detail?: string; message: string };

/** drizzle wraps driver errors; the Postgres fields are on the innermost one. */
export function pgError(e: unknown): PgErrorInfo | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === "object"; depth++) {
    const o = cur as Record<string, unknown>;
    if (typeof o.code === "string" && /^[0-9A-Z]{5}$/.test(o.code)) {
      return {
        code: o.code,
        constraint: typeof o.constraint === "string" ? o.constraint : undefined,
        detail: typeof o.detail === "string" ? o.detail : undefined,
        message: String(o.message ?? ""),
      };
    }
    cur = o.cause;
  }
  return undefined;
}

/**
 * Kong's error for a database error raised by the rows of `dao`'s entity, if Kong names it: unique
 * and foreign key violations, and a unique value too large for its index.
 */
export function kongErrorOf(
  e: unknown,
  entity: Record<string, unknown>,
  dao: {
    readonly name: string;
    readonly fks: readonly ForeignKey[];
    readonly opts: Pick<EntityDaoOptions, "unique" | "uniqueTogether" | "referrers">;
  },
): KongError | undefined {
  const pg = pgError(e);
  if (!pg) return undefined;
  const column = (f: string) => dao.fks.find((k) => k.field === f)?.column ?? f;
  if (pg.code === PG_UNIQUE_VIOLATION) {
    const together = (dao.opts.uniqueTogether ?? []).find((fields) =>
      fields.every((f) => pg.constraint?.includes(`_${column(f)}_`)),
    );
    if (together) return uniqueViolation(Object.fromEntries(together.map((f) => [f, entity[f] ?? null])));
    const field = (dao.opts.unique ?? []).find((f) => pg.constraint?.includes(`_${f}_`));
    if (field) return uniqueViolation({ [field]: entity[field] });
    return primaryKeyViolation({ id: entity.id });
  }
  if (pg.code === PG_PROGRAM_LIMIT_EXCEEDED) {
    // a unique field's value too large for its index: a Postgres b-tree entry holds at most
    // 2704 bytes (after compression); the error names the index only up to a page's 8 kB
    const fields = [...(dao.opts.unique ?? []), ...(dao.opts.uniqueTogether ?? []).flat()];
    const length = (f: string) => {
      const v = entity[f];
      return typeof v === "string" ? v.length : 0;
    };
    const index = /for index "([^"]+)"/.exec(pg.message)?.[1];
    // the fields the named index covers (all unique ones when it is not named): the longest value
    const covered = fields.filter((f) => index === undefined || index.includes(`_${column(f)}_`));
    const field = covered.filter((f) => length(f) > 0).sort((a, b) => length(b) - length(a))[0];
    const why = "too long to be kept unique (an index holds 2704 bytes)";
    return schemaViolation(field ? { [field]: why } : { "@entity": [`a value is ${why}`] });
  }
  if (pg.code === PG_FOREIGN_KEY_VIOLATION) {
    if (pg.detail?.includes("is still referenced")) {
      const referrer = (dao.opts.referrers ?? []).find((r) => pg.detail?.includes(`"${r}"`));
      return referencedByOthers(dao.name, referrer ?? "routes");
    }
    const fk = dao.fks.find((f) => pg.constraint?.includes(`_${f.column}_`));
    if (fk) {
      const ref = entity[fk.field] as { id: string };
      return foreignKeyViolation(fk.field, { id: ref?.id }, fk.references);
    }
  }
  return undefined;
}
