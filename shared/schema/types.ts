/**
 * A small model of Kong's schema language (kong/db/schema): enough of its field types, validators
 * and entity checks to give Kong's defaults and Kong's error messages for every entity.
 */

/** A custom check returns an error message, or undefined when the value is fine. */
export type Check<T> = (value: T) => string | undefined;

type Common<T> = {
  required?: boolean;
  default?: T | null;
  /** Kong's `eq = null` with its `err`: the field must not be set. */
  mustBeNull?: string;
  check?: Check<T>;
};

export type StringField = Common<string> & {
  type: "string";
  oneOf?: readonly string[];
  uuid?: boolean;
  lenMin?: number;
  startsWith?: string;
};
export type IntegerField = Common<number> & {
  type: "integer";
  between?: readonly [number, number];
  oneOf?: readonly number[];
};
export type NumberField = Common<number> & { type: "number"; between?: readonly [number, number] };
export type BooleanField = Common<boolean> & { type: "boolean" };
export type ArrayField = Common<unknown[]> & {
  /** `set` removes duplicates as Kong does. */
  type: "array" | "set";
  elements: Field;
  lenMin?: number;
};
export type MapField = Common<Record<string, unknown>> & { type: "map"; keys: StringField; values: Field };
export type RecordField = Common<Record<string, unknown>> & {
  type: "record";
  fields: Readonly<Record<string, Field>>;
  /** Record-level check, reported on the record itself. */
  recordCheck?: Check<Record<string, unknown>>;
};
/** A reference to another entity: `{ id }` on the wire. */
export type ForeignField = Common<{ id: string }> & { type: "foreign"; reference: string };

export type Field =
  | StringField
  | IntegerField
  | NumberField
  | BooleanField
  | ArrayField
  | MapField
  | RecordField
  | ForeignField;

/** Field errors as Kong reports them in `fields`: nested by field, arrays by position. */
export type FieldErrors = { [field: string]: FieldError } & { "@entity"?: string[] };
export type FieldError = string | FieldErrors | Array<FieldError | null>;

export type EntitySchema = {
  name: string;
  /** The other key an entity can be looked up by in a URL (`endpoint_key`). */
  endpointKey?: string;
  fields: Readonly<Record<string, Field>>;
  /** Fields the input may carry that expand into real fields (Kong's shorthand_fields). */
  shorthands?: Readonly<Record<string, (value: unknown) => Record<string, unknown> | undefined>>;
  /**
   * Input rewritten before validation: defaults that depend on other fields (Kong's subschema
   * defaults) and fields that set others (upstreams' `hash_on` and `algorithm`).
   */
  normalizeInput?: (input: Record<string, unknown>, mode: "insert" | "partial") => Record<string, unknown>;
  /** Values made for fields left out on insert (Kong's `auto` fields: generated keys and secrets). */
  auto?: Readonly<Record<string, () => unknown>>;
  /**
   * Kong's subschemas: the value of `subschemaKey` picks extra fields and checks (plugins by
   * `name`); `unknownSubschema` gives the error for a value with none.
   */
  subschemaKey?: string;
  subschemas?: (value: string) => Subschema | undefined;
  unknownSubschema?: (value: string) => string;
  /**
   * Entity checks, run once every field is valid; each returns its errors or nothing. A check may
   * carry `kong`, how Kong's `/schemas` endpoint describes it.
   */
  checks?: ReadonlyArray<EntityCheckFn>;
};

export type Subschema = {
  fields: Readonly<Record<string, Field>>;
  checks?: ReadonlyArray<EntityCheckFn>;
};

export type EntityCheckFn = ((entity: Record<string, unknown>) => FieldErrors | undefined) & {
  kong?: Record<string, unknown>;
};
