import type { FieldError, FieldErrors } from "./types";

/**
 * Kong's error bodies (kong/db/errors.lua): `{ code, name, message, fields }`, with the message
 * built as Kong builds it, so that scripts matching on it keep working.
 */
export type KongError = {
  code: number;
  name: string;
  message: string;
  fields?: unknown;
  /** Kong's "invalid options" errors carry `options` instead of `fields`. */
  options?: unknown;
};

export const ERROR_CODES = {
  INVALID_PRIMARY_KEY: 1,
  SCHEMA_VIOLATION: 2,
  PRIMARY_KEY_VIOLATION: 3,
  FOREIGN_KEY_VIOLATION: 4,
  UNIQUE_VIOLATION: 5,
  NOT_FOUND: 6,
  INVALID_OFFSET: 7,
  DATABASE_ERROR: 8,
  INVALID_SIZE: 9,
} as const;

/** Kong's `pl.pretty.write(t, "")` for the flat tables its messages quote: `{name="x"}`. */
export function luaTable(t: Record<string, unknown>): string {
  const parts = Object.keys(t)
    .sort()
    .map((k) => {
      const v = t[k];
      const text =
        v === null
          ? "null"
          : typeof v === "string"
            ? `"${v}"`
            : typeof v === "object"
              ? luaTable(v as never)
              : v;
      return `${k}=${text}`;
    });
  return `{${parts.join(",")}}`;
}

function pretty(value: FieldError | null): string {
  if (value === null) return "null";
  if (typeof value === "string") return `"${value}"`;
  if (Array.isArray(value)) return `{${value.map(pretty).join(",")}}`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${k}=${pretty((value as FieldErrors)[k] ?? null)}`)
    .join(",")}}`;
}

export function schemaViolation(fields: FieldErrors): KongError {
  const parts: string[] = [...(fields["@entity"] ?? [])];
  for (const name of Object.keys(fields).sort()) {
    if (name === "@entity") continue;
    const e = fields[name] as FieldError;
    if (typeof e === "string") {
      parts.push(`${name}: ${e}`);
    } else if (Array.isArray(e)) {
      e.forEach((sub, i) => {
        if (sub !== null) parts.push(`${name}.${i + 1}: ${typeof sub === "string" ? sub : pretty(sub)}`);
      });
    } else {
      for (const sub of Object.keys(e).sort()) {
        const v = (e as FieldErrors)[sub] as FieldError;
        parts.push(`${name}.${sub}: ${typeof v === "string" ? v : pretty(v)}`);
      }
    }
  }
  const message =
    parts.length === 1
      ? `schema violation (${parts[0]})`
      : `${parts.length} schema violations (${parts.join("; ")})`;
  return { code: ERROR_CODES.SCHEMA_VIOLATION, name: "schema violation", message, fields };
}

export function uniqueViolation(key: Record<string, unknown>): KongError {
  return {
    code: ERROR_CODES.UNIQUE_VIOLATION,
    name: "unique constraint violation",
    message: `UNIQUE violation detected on '${luaTable(key)}'`,
    fields: key,
  };
}

export function primaryKeyViolation(key: Record<string, unknown>): KongError {
  return {
    code: ERROR_CODES.PRIMARY_KEY_VIOLATION,
    name: "primary key violation",
    message: `primary key violation on key '${luaTable(key)}'`,
    fields: key,
  };
}

export function foreignKeyViolation(field: string, key: Record<string, unknown>, parent: string): KongError {
  return {
    code: ERROR_CODES.FOREIGN_KEY_VIOLATION,
    name: "foreign key violation",
    message: `the foreign key '${luaTable(key)}' does not reference an existing '${parent}' entity.`,
    fields: { [field]: key },
  };
}

export function referencedByOthers(parent: string, child: string): KongError {
  return {
    code: ERROR_CODES.FOREIGN_KEY_VIOLATION,
    name: "foreign key violation",
    message: `an existing '${child}' entity references this '${parent}' entity`,
    fields: { "@referenced_by": child },
  };
}

export function invalidOffset(offset: string, reason: string): KongError {
  return {
    code: ERROR_CODES.INVALID_OFFSET,
    name: "invalid offset",
    message: `'${offset}' is not a valid offset: ${reason}`,
  };
}

export function invalidSize(message: string): KongError {
  return { code: ERROR_CODES.INVALID_SIZE, name: "invalid size", message };
}

/** Kong's `pl.pretty.write(t, "")` for nested tables: arrays as `{a,b}`, maps as `{k=v}`. */
export function luaPretty(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return `"${value}"`;
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaPretty).join(",")}}`;
  const entries = Object.keys(value as object)
    .sort()
    .map(
      (k) =>
        `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `["${k}"]`}=${luaPretty((value as Record<string, unknown>)[k])}`,
    );
  return `{${entries.join(",")}}`;
}
