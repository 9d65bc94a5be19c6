import { err, ok, type Result } from "../util/result";
import type { ArrayField, EntitySchema, Field, FieldError, FieldErrors } from "./types";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (v: unknown): v is string => typeof v === "string" && UUID.test(v);

/** Sets an own property even for names such as `__proto__`, which plain assignment would not. */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** What Kong calls "empty": null, missing, or an empty array or map. */
export const isEmpty = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

function typeError(field: Field): string {
  switch (field.type) {
    case "string":
      return "expected a string";
    case "integer":
      return "expected an integer";
    case "number":
      return "expected a number";
    case "boolean":
      return "expected a boolean";
    case "array":
      return "expected an array";
    case "set":
      return "expected a set";
    case "map":
      return "expected a map";
    case "record":
    case "foreign":
      return "expected a record";
  }
}

/** Validates one value against its field; returns the normalised value or the error. */
export function validateField(field: Field, value: unknown): Result<unknown, FieldError> {
  if (value === null || value === undefined) {
    return field.required ? err("required field missing") : ok(null);
  }
  if (field.mustBeNull !== undefined) return err(field.mustBeNull);
  switch (field.type) {
    case "string": {
      // Kong's validator order: one_of, uuid, len_min (1 for every string), starts_with, custom
      if (typeof value !== "string") return err(typeError(field));
      if (field.oneOf && !field.oneOf.includes(value))
        return err(`expected one of: ${field.oneOf.join(", ")}`);
      if (field.uuid && !UUID.test(value)) return err("expected a valid UUID");
      const lenMin = field.lenMin ?? 1;
      if (value.length < lenMin) return err(`length must be at least ${lenMin}`);
      // Postgres' text and JSON cannot hold it: refused here rather than by the database
      if (value.includes("\u0000")) return err("must not contain the NUL character");
      if (field.startsWith !== undefined && !value.startsWith(field.startsWith)) {
        return err(`should start with: ${field.startsWith}`);
      }
      const bad = field.check?.(value);
      return bad ? err(bad) : ok(value);
    }
    case "integer": {
      if (typeof value !== "number" || !Number.isInteger(value)) return err(typeError(field));
      if (field.between && (value < field.between[0] || value > field.between[1])) {
        return err(`value should be between ${field.between[0]} and ${field.between[1]}`);
      }
      if (field.oneOf && !field.oneOf.includes(value))
        return err(`expected one of: ${field.oneOf.join(", ")}`);
      const bad = field.check?.(value);
      return bad ? err(bad) : ok(value);
    }
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return err(typeError(field));
      if (field.between && (value < field.between[0] || value > field.between[1])) {
        return err(`value should be between ${field.between[0]} and ${field.between[1]}`);
      }
      const bad = field.check?.(value);
      return bad ? err(bad) : ok(value);
    }
    case "boolean":
      return typeof value === "boolean" ? ok(value) : err(typeError(field));
    case "array":
    case "set":
      return validateArray(field, value);
    case "map": {
      if (!isObject(value)) return err(typeError(field));
      const errors: FieldErrors = {};
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const key = validateField(field.keys, k);
        if (!key.ok) {
          setOwn(errors, k, key.error);
          continue;
        }
        const val = validateField(field.values, v);
        if (val.ok) setOwn(out, k, val.value);
        else setOwn(errors, k, val.error);
      }
      if (Object.keys(errors).length > 0) return err(errors);
      const bad = field.check?.(out);
      return bad ? err(bad) : ok(out);
    }
    case "record": {
      if (!isObject(value)) return err(typeError(field));
      const result = validateRecord(field.fields, value, false);
      if (!result.ok) return result;
      const bad = field.recordCheck?.(result.value) ?? field.check?.(result.value);
      return bad ? err(bad) : ok(result.value);
    }
    case "foreign": {
      if (!isObject(value)) return err(typeError(field));
      const errors: FieldErrors = {};
      for (const k of Object.keys(value)) if (k !== "id") errors[k] = "unknown field";
      if (!("id" in value) || value.id === null) errors.id = "missing primary key";
      else if (typeof value.id !== "string") errors.id = "expected a string";
      else if (!UUID.test(value.id)) errors.id = "expected a valid UUID";
      if (Object.keys(errors).length > 0) return err(errors);
      return ok({ id: String(value.id).toLowerCase() });
    }
  }
}

function validateArray(field: ArrayField, value: unknown): Result<unknown, FieldError> {
  // Kong reads an empty JSON object as an empty array (Lua cannot tell them apart).
  if (isObject(value) && Object.keys(value).length === 0) value = [];
  if (!Array.isArray(value)) return err(typeError(field));
  const items: unknown[] = [];
  const errors: Array<FieldError | null> = [];
  let failed = false;
  value.forEach((item, i) => {
    const r = validateField(field.elements, item);
    if (r.ok) {
      items.push(r.value);
      errors[i] = null;
    } else {
      failed = true;
      errors[i] = r.error === "required field missing" ? typeError(field.elements) : r.error;
    }
  });
  if (failed) {
    // Kong reports errors by position; positions without an error stay empty
    while (errors.length > 0 && errors[errors.length - 1] === null) errors.pop();
    return err(errors);
  }
  let out = items;
  if (field.type === "set") {
    const seen = new Set<string>();
    out = items.filter((v) => {
      const k = JSON.stringify(v);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  if (field.lenMin !== undefined && out.length < field.lenMin) {
    return err(`length must be at least ${field.lenMin}`);
  }
  const bad = field.check?.(out);
  return bad ? err(bad) : ok(out);
}

function validateRecord(
  fields: Readonly<Record<string, Field>>,
  input: Record<string, unknown>,
  partial: boolean,
): Result<Record<string, unknown>, FieldErrors> {
  const errors: FieldErrors = {};
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) if (!Object.hasOwn(fields, key)) setOwn(errors, key, "unknown field");
  for (const [name, field] of Object.entries(fields)) {
    if (partial && !Object.hasOwn(input, name)) continue;
    let value = input[name];
    if (value === undefined && field.default !== undefined) value = structuredClone(field.default);
    const r = validateField(field, value);
    if (r.ok) out[name] = r.value;
    else errors[name] = r.error;
  }
  return Object.keys(errors).length > 0 ? err(errors) : ok(out);
}

export type ValidateMode =
  /** A new entity (POST, PUT): defaults and generated values filled, required fields enforced. */
  | "insert"
  /** A stored entity with a PATCH merged in: already prepared, checked whole. */
  | "update";

/**
 * Turns Admin API input into what is validated: shorthands expanded (`url`), fields that set
 * others applied, and (on insert) generated values for the `auto` fields.
 */
export function prepareInput(
  schema: EntitySchema,
  input: unknown,
  mode: "insert" | "partial",
): Result<Record<string, unknown>, FieldErrors> {
  if (!isObject(input)) return err({ "@entity": ["expected an input table"] } as FieldErrors);
  const expanded = expandShorthands(schema, input);
  if (!expanded.ok) return expanded;
  let value = schema.normalizeInput ? schema.normalizeInput(expanded.value, mode) : expanded.value;
  if (mode === "insert" && schema.auto) {
    value = { ...value };
    for (const [name, make] of Object.entries(schema.auto))
      if (value[name] === undefined) value[name] = make();
  }
  return ok(value);
}

/**
 * Validates an entity with Kong's rules: fields, defaults, unknown fields. Entity checks are
 * `checkEntity`'s, run once every field is valid, as in Kong.
 */
export function validateEntity(
  schema: EntitySchema,
  input: unknown,
  mode: ValidateMode,
): Result<Record<string, unknown>, FieldErrors> {
  let value: Record<string, unknown>;
  if (mode === "insert") {
    const prepared = prepareInput(schema, input, "insert");
    if (!prepared.ok) return prepared;
    value = prepared.value;
  } else {
    if (!isObject(input)) return err({ "@entity": ["expected an input table"] } as FieldErrors);
    value = input;
  }
  const fields = effectiveFields(schema, value);
  if (!fields.ok) return fields;
  return validateRecord(fields.value, value, false);
}

/** A PATCH merged into a stored entity: records are merged field by field, everything else replaced. */
export function mergePatch(
  schema: EntitySchema,
  existing: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...existing };
  for (const [key, value] of Object.entries(patch)) {
    const field = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
    const old = existing[key];
    out[key] = field?.type === "record" && isObject(value) && isObject(old) ? deepMerge(old, value) : value;
  }
  return out;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = a[k];
    setOwn(out, k, isObject(v) && isObject(old) ? deepMerge(old, v) : v);
  }
  return out;
}

/** The fields an input is checked against: the schema's, with its subschema's on top. */
function effectiveFields(
  schema: EntitySchema,
  input: Record<string, unknown>,
): Result<Readonly<Record<string, Field>>, FieldErrors> {
  const key = schema.subschemaKey;
  if (!key || !schema.subschemas) return ok(schema.fields);
  const selector = input[key];
  if (selector === undefined || selector === null) return err({ [key]: "required field missing" });
  if (typeof selector !== "string") return err({ [key]: "expected a string" });
  const sub = schema.subschemas(selector);
  if (!sub) return err({ [key]: schema.unknownSubschema?.(selector) ?? `unknown type: ${selector}` });
  return ok({ ...schema.fields, ...sub.fields });
}

/** Runs the entity checks on a complete entity. */
export function checkEntity(schema: EntitySchema, entity: Record<string, unknown>): FieldErrors | undefined {
  const merged: FieldErrors = {};
  const selector = schema.subschemaKey ? entity[schema.subschemaKey] : undefined;
  const sub = typeof selector === "string" ? schema.subschemas?.(selector) : undefined;
  for (const check of [...(schema.checks ?? []), ...(sub?.checks ?? [])]) {
    const e = check(entity);
    if (!e) continue;
    for (const [k, v] of Object.entries(e)) {
      if (k === "@entity") merged["@entity"] = [...(merged["@entity"] ?? []), ...(v as string[])];
      else if (!(k in merged)) merged[k] = v as FieldError;
    }
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}

function expandShorthands(
  schema: EntitySchema,
  input: Record<string, unknown>,
): Result<Record<string, unknown>, FieldErrors> {
  if (!schema.shorthands) return ok(input);
  const out = { ...input };
  for (const [name, expand] of Object.entries(schema.shorthands)) {
    if (!(name in out)) continue;
    const value = out[name];
    delete out[name];
    if (value === null || value === undefined) continue;
    if (typeof value !== "string") return err({ [name]: "expected a string" });
    const fields = expand(value);
    if (!fields) return err({ [name]: `invalid url: ${value}` });
    Object.assign(out, fields);
  }
  return ok(out);
}
