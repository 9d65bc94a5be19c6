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
