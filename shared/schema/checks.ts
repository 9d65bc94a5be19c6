import type { FieldErrors } from "./types";
import { isEmpty } from "./validate";

/** Kong's entity checks (kong/db/schema/init.lua), with Kong's messages. */

type Entity = Record<string, unknown>;
/** A check, and how Kong's `/schemas` endpoint describes it (`{ at_least_one_of: [...] }`). */
export type EntityCheck = ((entity: Entity) => FieldErrors | undefined) & { kong?: Record<string, unknown> };

const described = (
  check: (entity: Entity) => FieldErrors | undefined,
  kong: Record<string, unknown>,
): EntityCheck => Object.assign(check, { kong });

const quoted = (fields: readonly string[]) => fields.map((f) => `'${f}'`).join(", ");

/** Reads `a.b` paths, as entity checks on plugin configs do. */
export function fieldValue(entity: Entity, path: string): unknown {
  let cur: unknown = entity;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Entity)[part];
  }
  return cur;
}

export const atLeastOneOf = (...fields: string[]): EntityCheck =>
  described(
    (e) =>
      fields.every((f) => isEmpty(fieldValue(e, f)))
        ? { "@entity": [`at least one of these fields must be non-empty: ${quoted(fields)}`] }
        : undefined,
    { at_least_one_of: fields },
  );

export const onlyOneOf = (...fields: string[]): EntityCheck =>
  described(
    (e) =>
      fields.filter((f) => !isEmpty(fieldValue(e, f))).length > 1
        ? { "@entity": [`exactly one of these fields must be non-empty: ${quoted(fields)}`] }
        : undefined,
    { only_one_of: fields },
  );

export const mutuallyRequired = (...fields: string[]): EntityCheck =>
  described(
    (e) => {
      const set = fields.filter((f) => !isEmpty(fieldValue(e, f))).length;
      return set !== 0 && set !== fields.length
        ? { "@entity": [`all or none of these fields must be set: ${quoted(fields)}`] }
        : undefined;
    },
    { mutually_required: fields },
  );

export const distinct = (a: string, b: string): EntityCheck =>
  described(
    (e) => {
      const x = fieldValue(e, a);
      return x !== null && x !== undefined && x === fieldValue(e, b)
        ? { "@entity": [`values of these fields must be distinct: ${quoted([a, b])}`] }
        : undefined;
    },
    { distinct: [a, b] },
  );

/**
 * Kong's `conditional`: when `ifField` matches, `thenField` must pass `then`, whose message goes on
 * the field next to Kong's "failed conditional validation" on the entity.
 */
export const conditional = (
  ifField: string,
  ifMatch: (v: unknown) => boolean,
  thenField: string,
  then: (v: unknown) => string | undefined,
): EntityCheck =>
  described(
    (e) => {
      if (!ifMatch(fieldValue(e, ifField))) return undefined;
      const bad = then(fieldValue(e, thenField));
      if (!bad) return undefined;
      return {
        "@entity": [`failed conditional validation given value of field '${ifField}'`],
        [thenField]: bad,
      } as FieldErrors;
    },
    { conditional: { if_field: ifField, then_field: thenField } },
  );

export const required = (v: unknown) =>
  v === null || v === undefined ? "required field missing" : undefined;
export const oneOf = (values: readonly string[]) => (v: unknown) =>
  typeof v === "string" && !values.includes(v) ? `expected one of: ${values.join(", ")}` : undefined;
