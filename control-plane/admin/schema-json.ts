import type { EntitySchema, Field } from "../../shared/schema/types";

/**
 * A schema as Kong's `/schemas` endpoints serialise one: `fields` as an array of single-key
 * objects, in definition order, with Kong's attribute names; `entity_checks` lists the checks that
 * carry Kong's description (the others are code only Lintel runs).
 */
export function fieldJson(field: Field): Record<string, unknown> {
  const out: Record<string, unknown> = { type: field.type };
  if (field.required) out.required = true;
  if (field.default !== undefined) out.default = field.default;
  switch (field.type) {
    case "string":
      if (field.oneOf) out.one_of = field.oneOf;
      if (field.uuid) out.uuid = true;
      if (field.startsWith) out.starts_with = field.startsWith;
      break;
    case "integer":
      if (field.oneOf) out.one_of = field.oneOf;
      if (field.between) out.between = field.between;
      break;
    case "number":
      if (field.between) out.between = field.between;
      break;
    case "array":
    case "set":
      out.elements = fieldJson(field.elements);
      if (field.lenMin !== undefined) out.len_min = field.lenMin;
      break;
    case "map":
      out.keys = fieldJson(field.keys);
      out.values = fieldJson(field.values);
      break;
    case "record":
      out.fields = fieldsJson(field.fields);
      break;
    case "foreign":
      out.reference = field.reference;
      break;
    case "boolean":
      break;
  }
  return out;
}

export function fieldsJson(fields: Readonly<Record<string, Field>>): Array<Record<string, unknown>> {
  return Object.entries(fields).map(([name, f]) => ({ [name]: fieldJson(f) }));
}

export function checksJson(checks: EntitySchema["checks"]): unknown[] {
  return (checks ?? []).flatMap((c) => (c.kong ? [c.kong] : []));
}

export function schemaJson(schema: EntitySchema): { fields: unknown[]; entity_checks: unknown[] } {
  return { fields: fieldsJson(schema.fields), entity_checks: checksJson(schema.checks) };
}
