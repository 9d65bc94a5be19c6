import type { Context } from "hono";
import type { EntitySchema, Field } from "../../shared/schema/types";

export type BodyResult = { ok: true; value: Record<string, unknown> } | { ok: false; response: Response };

const fail = (c: Context, status: 400 | 415, message?: string): BodyResult => ({
  ok: false,
  response: message ? c.json({ message }, status) : c.body(null, status),
});

/**
 * Reads a POST/PUT/PATCH body as Kong does: JSON, form-urlencoded or multipart, with form values
 * turned into the field types the entity's schema expects.
 */
export async function readBody(c: Context, schema: EntitySchema): Promise<BodyResult> {
  const types = c.req.raw.headers.get("content-type");
  if (types?.includes(",")) return fail(c, 400, "Multiple Content-Type headers not allowed");
  const type = (types ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const text = await c.req.text();
  if (type === "application/json") {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return fail(c, 400, "Cannot parse JSON body");
      }
      return { ok: true, value: parsed as Record<string, unknown> };
    } catch {
      return fail(c, 400, "Cannot parse JSON body");
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    return { ok: true, value: formToEntity(schema, [...new URLSearchParams(text)]) };
  }
  if (type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await new Request("http://body", {
        method: "POST",
        headers: { "content-type": types ?? "" },
        body: text,
      }).formData();
    } catch {
      return fail(c, 400, "Cannot parse multipart/form-data body");
    }
    const pairs: Array<[string, string]> = [];
    form.forEach((v, k) => {
      if (typeof v === "string") pairs.push([k, v]);
    });
    return { ok: true, value: formToEntity(schema, pairs) };
  }
  if (text.trim() === "") return { ok: true, value: {} };
  return fail(c, 415);
}

/**
 * Kong's form conventions: `paths[]=a&paths[]=b` or repeated keys for arrays, `service.id=x` for
 * nested records, an empty value for null.
 */
export function formToEntity(schema: EntitySchema, pairs: Array<[string, string]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of pairs) {
    const key = rawKey.replace(/\[\d*\]$/, "");
    const path = key.split(".");
    // keys that would reach Object.prototype are kept as plain data, never followed
    if (path.some((p) => UNSAFE_KEYS.has(p))) {
      Object.defineProperty(out, rawKey, { value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const top = path[0] ?? "";
    const field = Object.hasOwn(schema.fields, top) ? schema.fields[top] : undefined;
    const isList = field?.type === "array" || field?.type === "set" || rawKey.endsWith("]");
    if (path.length > 1) {
      if (typeof out[top] !== "object" || out[top] === null) out[top] = {};
      const parent = out[top] as Record<string, unknown>;
      const sub = path.slice(1).join(".");
      // a map of arrays (`headers.x-region=north`) takes each value as one more element
      if (field?.type === "map" && (field.values.type === "array" || field.values.type === "set")) {
        const list = Array.isArray(parent[sub]) ? (parent[sub] as unknown[]) : [];
        if (value !== "") list.push(value);
        parent[sub] = list;
      } else {
        parent[sub] = value === "" ? null : value;
      }
      continue;
    }
    if (isList) {
      const list = Array.isArray(out[top]) ? (out[top] as unknown[]) : [];
      if (value !== "")
        list.push(
          coerce(field?.type === "array" || field?.type === "set" ? field.elements : undefined, value),
        );
      out[top] = list;
    } else {
      out[top] = value === "" ? null : coerce(field, value);
    }
  }
  return out;
}

const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Kong infers a form value's type from the field it goes to. */
function coerce(field: Field | undefined, value: string): unknown {
  if (field?.type === "integer" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  if (field?.type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}
