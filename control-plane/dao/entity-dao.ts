import {
  and,
  arrayContains,
  arrayOverlaps,
  asc,
  Column,
  eq,
  getTableColumns,
  getTableName,
  gt,
  type SQL,
  sql,
} from "drizzle-orm";
import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import { invalidOffset, invalidSize, type KongError, schemaViolation } from "../../shared/schema/errors";
import type { TagsFilter } from "../../shared/schema/tags-filter";
import type { EntitySchema } from "../../shared/schema/types";
import {
  checkEntity,
  isUuid,
  mergePatch,
  prepareInput,
  validateEntity,
  validateField,
} from "../../shared/schema/validate";
import { err, ok, type Result } from "../../shared/util/result";
import type { Db, Tx } from "../db/client";
import { eachRow, type RowStream } from "../db/snapshot-read";
import { bumpConfigVersion } from "./config-version";
import { kongErrorOf } from "./db-errors";

export type Entity = Record<string, unknown> & { id: string };

export type ForeignKey = {
  /** The entity field (`service`). */
  field: string;
  /** The column holding the id (`service_id`). */
  column: string;
  /** The referenced entity's DAO name (`services`). */
  references: string;
};

/** What a write hook sees: the prepared input as given, the stored entity (on update), all DAOs. */
export type HookContext = {
  /** POST, PUT or PATCH. */
  mode: "insert" | "upsert" | "update";
  input: Record<string, unknown>;
  existing?: Entity;
  daos: Readonly<Record<string, EntityDao>>;
};

/** Entity-specific behaviour on top of the generic DAO (what Kong puts in custom DAOs). */
export type EntityHooks = {
  /** After validation, before the write: may complete the entity (hashes, digests) or refuse it. */
  beforeWrite?(
    entity: Record<string, unknown>,
    ctx: HookContext,
  ): Promise<Result<Record<string, unknown>, KongError>>;
  /** In the write's transaction, after the row is written (certificates keep their SNIs so). */
  afterWrite?(tx: Tx, entity: Entity, ctx: HookContext): Promise<void>;
  /** What the Admin API returns for a stored entity, when that is more than its row. */
  present?(entity: Entity, db: Db): Promise<Entity>;
};

export type EntityDaoOptions = {
  schema: EntitySchema;
  table: PgTable;
  foreignKeys?: ForeignKey[];
  /** Entities whose rows refer to this one: deleting a referenced row is refused as Kong does. */
  referrers?: string[];
  /** The unique fields, reported by name in Kong's unique violation. */
  unique?: string[];
  /** Fields unique together (Kong's composite cache keys): a clash is a 409 naming all of them. */
  uniqueTogether?: string[][];
  /** The collection's path in the Admin API (`key-auths`), when not the entity's name. */
  adminName?: string;
  /** The path under a parent (`/consumers/{c}/key-auth`), when not `adminName`. */
  nestedName?: string;
  /** The field that names a child under its parent in a URL (`/consumers/{c}/acls/{group}`). */
  nestedKey?: string;
  /** Served only under its parent (targets: `/upstreams/{u}/targets`). */
  nestedOnly?: boolean;
  /** Kong keeps some timestamps in seconds with milliseconds (targets). */
  fractionalTimestamps?: boolean;
  hooks?: EntityHooks;
};

export type Page = { data: Entity[]; offset?: string };

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Rows a whole config's import inserts in one statement. */
const BULK_ROWS = 2000;

type Filter = { column: string; value: unknown };

/**
 * Kong's generic DAO for one entity: validation with Kong's schema rules, id-or-name lookups,
 * keyset pagination by id, and Postgres errors mapped to Kong's. Every write bumps the config
 * version in the same transaction and reports the commit, so the change reaches the data planes.
 */
export class EntityDao {
  readonly name: string;
  readonly schema: EntitySchema;
  readonly adminName: string;
  readonly nestedName: string;
  readonly fks: readonly ForeignKey[];
  /** Set once every DAO exists, for hooks and foreign key resolution. */
  daos: Readonly<Record<string, EntityDao>> = {};
  private readonly table: PgTable;
  private readonly columns: Record<string, AnyPgColumn>;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    readonly opts: EntityDaoOptions,
    private readonly onCommit: () => void,
    now?: () => number,
  ) {
    this.name = opts.schema.name;
    this.schema = opts.schema;
    this.adminName = opts.adminName ?? opts.schema.name;
    this.nestedName = opts.nestedName ?? this.adminName;
    this.table = opts.table;
    this.columns = opts.table as unknown as Record<string, AnyPgColumn>;
    this.fks = opts.foreignKeys ?? [];
    this.now =
      now ??
      (opts.fractionalTimestamps ? () => Math.floor(Date.now()) / 1000 : () => Math.floor(Date.now() / 1000));
  }

  private hasColumn(name: string): boolean {
    return Object.hasOwn(this.columns, name) && typeof this.columns[name] === "object";
  }

  /** created_at/updated_at as the schema has them (credentials have no updated_at). */
  private stamps(createdAt: unknown, now: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.schema.fields.created_at) out.created_at = (createdAt as number | undefined) ?? now;
    if (this.schema.fields.updated_at) out.updated_at = now;
    return out;
  }

  private async finish(
    entity: Record<string, unknown>,
    ctx: HookContext,
  ): Promise<Result<Record<string, unknown>, KongError>> {
    return this.opts.hooks?.beforeWrite ? this.opts.hooks.beforeWrite(entity, ctx) : ok(entity);
  }

  /**
   * Inserts already validated entities in a caller's transaction (a whole declarative config),
   * after the entity's write hooks; timestamps are filled in.
   */
  async insertValidated(
    tx: Tx,
    entities: Array<Record<string, unknown>>,
    hooks: boolean,
  ): Promise<Result<Entity[], KongError>> {
    const now = this.now();
    const rows: Record<string, unknown>[] = [];
    for (const entity of entities) {
      const stamped = { ...entity, ...this.stamps(entity.created_at, now) };
      const done = hooks
        ? await this.finish(stamped, { mode: "insert", input: entity, daos: this.daos })
        : ok(stamped);
      if (!done.ok) return done;
      rows.push(this.toRow(done.value));
    }
    const out: Entity[] = [];
    for (let i = 0; i < rows.length; i += BULK_ROWS) {
      const written = (await tx
        .insert(this.table)
        .select(this.fromJson(rows.slice(i, i + BULK_ROWS)))
        .returning()) as Record<string, unknown>[];
      out.push(...written.map((r) => this.toEntity(r)));
    }
    return ok(out);
  }

  /**
   * Rows as one JSON parameter that Postgres turns back into rows of the table, each column in the
   * table's order (an insert's): drizzle builds a query's text one parameter at a time, which at a
   * whole config's 130k entities took longer than Postgres took to store them. Every column is
   * given (an entity's timestamps are stamped), so none needs its default.
   */
  private fromJson(rows: Array<Record<string, unknown>>): SQL {
    const columns = Object.values(getTableColumns(this.table)).map((c) => sql.identifier(c.name));
    return sql`select ${sql.join(columns, sql`, `)} from json_populate_recordset(null::${this.table}, ${JSON.stringify(rows)}::json)`;
  }

  /** The entity whose unique `column` holds `value`. */
  findBy(column: string, value: string): Promise<Entity | undefined> {
    return this.lookupBy(column, value);
  }

  /** Removes every row (a whole declarative config replaces the old one). */
  async deleteAll(tx: Tx): Promise<void> {
    await tx.delete(this.table);
  }

  /** Maps a database error raised by this entity's rows to Kong's, if it is one Kong names. */
  kongErrorFor(e: unknown, entity: Record<string, unknown>): KongError | undefined {
    return kongErrorOf(e, entity, this);
  }

  /** Tells the cluster a write committed outside this DAO's own transactions. */
  committed(): void {
    this.onCommit();
  }

  /** The entity as the Admin API returns it. */
  async present(entity: Entity): Promise<Entity> {
    return this.opts.hooks?.present ? this.opts.hooks.present(entity, this.db) : entity;
  }

  /**
   * Turns a row into the entity Kong returns: foreign ids become `{ id }`, or stay ids when `flat`
   * (a declarative config's form).
   */
  toEntity(row: Record<string, unknown>, flat = false): Entity {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(this.schema.fields)) {
      const fk = this.fks.find((f) => f.field === name);
      if (fk) {
        const id = row[fk.column];
        out[name] = id ? (flat ? id : { id }) : null;
      } else if (this.hasColumn(name)) {
        out[name] = row[name] ?? null;
      }
    }
    return out as Entity;
  }

  /** The columns of an entity; transient fields (a certificate's `snis`) are not stored. */
  private toRow(entity: Record<string, unknown>): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(entity)) {
      const fk = this.fks.find((f) => f.field === name);
      if (fk) row[fk.column] = value ? (value as { id: string }).id : null;
      else if (this.hasColumn(name)) row[name] = value;
    }
    return row;
  }

  /** Parses `size` and `offset` as Kong's Admin API does. */
  static parsePaging(
    size: string | undefined,
    offset: string | undefined,
  ): Result<{ size: number; after?: string }, KongError> {
    let n = DEFAULT_PAGE_SIZE;
    if (size !== undefined) {
      n = Number(size);
      if (size.trim() === "" || Number.isNaN(n)) return err(invalidSize("size must be a number"));
      if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
        return err(invalidSize(`size must be an integer between 1 and ${MAX_PAGE_SIZE}`));
      }
    }
    if (offset === undefined) return ok({ size: n });
    let json: string;
    try {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(offset)) throw new Error("base64");
      json = atob(offset);
    } catch {
      return err(invalidOffset(offset, "bad base64 encoding"));
    }
    try {
      const parsed = JSON.parse(json);
      if (!Array.isArray(parsed) || !isUuid(parsed[0])) throw new Error("shape");
      return ok({ size: n, after: parsed[0] as string });
    } catch {
      return err(invalidOffset(offset, "bad json encoding"));
    }
  }

  async page(size: number, after?: string, filter?: Filter, tags?: TagsFilter): Promise<Page> {
    const conditions = [];
    if (after) conditions.push(gt(this.col("id"), after));
    if (filter) conditions.push(eq(this.col(filter.column), filter.value));
    if (tags) {
      const col = this.col("tags");
      conditions.push(tags.mode === "and" ? arrayContains(col, tags.tags) : arrayOverlaps(col, tags.tags));
    }
    const rows = (await this.db
      .select()
      .from(this.table)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(asc(this.col("id")))
      .limit(size + 1)) as Record<string, unknown>[];
    const data = rows.slice(0, size).map((r) => this.toEntity(r));
    const last = data[data.length - 1];
    if (rows.length > size && last) {
      return { data, offset: btoa(JSON.stringify([last.id])).replace(/=+$/, "") };
    }
    return { data };
  }

  /** Every row, in id order (the export). */
  async all(tx: Tx | Db = this.db): Promise<Entity[]> {
    const rows = (await tx
      .select()
      .from(this.table)
      .orderBy(asc(this.col("id")))) as Record<string, unknown>[];
    return rows.map((r) => this.toEntity(r));
  }

  /**
   * Every row's id and row version (Postgres' `xmin`: the transaction that wrote that version), in
   * id order. A row keeps its `xmin` until it is written again, so an exporter may reuse what it
   * made of a row it saw with the same id and `xmin`.
   */
  async versions(tx: Tx | Db, stream?: RowStream): Promise<Array<{ id: string; xmin: string }>> {
    // ordered by the uuid (as every export is), not by its text: the alias must not be `id`
    const query = sql`SELECT id::text AS row_id, xmin::text AS xmin FROM ${sql.identifier(getTableName(this.table))} ORDER BY id`;
    const out: Array<{ id: string; xmin: string }> = [];
    await eachRow(tx, stream, query, (row) => out.push({ id: row[0] as string, xmin: row[1] as string }));
    return out;
  }

  /**
   * A select of one row: the table's row count (`n`) and how many of its rows were `written` (`w`).
   * An exporter joins those of every table into one query.
   */
  tally(written: Written): SQL {
    return sql`SELECT count(*)::int AS n, (count(*) FILTER (WHERE ${writtenIn(written)}))::int AS w FROM ${sql.identifier(getTableName(this.table))}`;
  }

  /**
   * Rows as a declarative config holds them (foreign keys as ids), each with its `xmin`: every row
   * in id order; those with the given `ids` (in no particular order); or, in id order, those
   * `written` (`Written`). Read with plain SQL and each value
   * mapped by its column (what drizzle's select does, without its per-cell bookkeeping: a quarter
   * of the time of a large export); through `stream` where there is one.
   */
  async exportRows(
    tx: Tx | Db,
    which?: { ids: readonly string[] } | { written: Written },
    stream?: RowStream,
  ): Promise<Array<{ entity: Entity; xmin: string }>> {
    // each field of the entity (toEntity's, foreign keys flat) from its column, found once
    const plan = Object.keys(this.schema.fields).flatMap((field) => {
      const key = this.fks.find((f) => f.field === field)?.column ?? field;
      if (!this.hasColumn(key)) return [];
      const column = this.columns[key] as AnyPgColumn;
      return [{ field, column, map: driverMapping(column) }];
    });
    // arrays as JSON: parsed natively, where the driver parses Postgres' array text in JavaScript
    // (a third of the time of reading routes)
    const list = sql.join(
      plan.map(({ column }) =>
        column.columnType === "PgArray"
          ? sql`to_json(${sql.identifier(column.name)}) AS ${sql.identifier(column.name)}`
          : sql.identifier(column.name),
      ),
      sql`, `,
    );
    const select = (where: SQL) =>
      sql`SELECT ${list}, xmin::text AS "xmin" FROM ${sql.identifier(getTableName(this.table))} ${where} ORDER BY id`;
    const out: Array<{ entity: Entity; xmin: string }> = [];
    // one row's columns, in the plan's order and then `xmin`
    const take = (row: readonly unknown[]) => {
      const entity: Record<string, unknown> = {};
      for (let i = 0; i < plan.length; i++) {
        const { field, map } = plan[i] as (typeof plan)[number];
        const v = row[i];
        entity[field] = v === null || v === undefined ? null : map ? map(v) : v;
      }
      out.push({ entity: entity as Entity, xmin: String(row[plan.length]) });
    };
    const read = (where: SQL) => eachRow(tx, stream, select(where), take);
    if (!which) {
      await read(sql``);
      return out;
    }
    if ("written" in which) {
      await read(sql`WHERE ${writtenIn(which.written)}`);
      return out;
    }
    const { ids } = which;
    for (let i = 0; i < ids.length; i += 5000) {
      await read(
        sql`WHERE id IN (${sql.join(
          ids.slice(i, i + 5000).map((id) => sql`${id}`),
          sql`, `,
        )})`,
      );
    }
    return out;
  }

  /**
   * Resolves a URL segment: a UUID is an id, anything else the endpoint key (`name`). An invalid
   * name is Kong's 400 "invalid unique name".
   */
  async lookup(
    idOrName: string,
    scope?: { column: string; value: string },
  ): Promise<Result<Entity | undefined, KongError>> {
    const key = this.keyFor(idOrName, scope !== undefined);
    if (!key.ok) return key;
    return ok(await this.lookupBy(key.value.column, key.value.value, scope));
  }

  /**
   * A URL segment's column: a UUID is an id, anything else the endpoint key (under a parent, the
   * nested key). Without a key, Kong's "invalid primary key".
   */
  keyFor(idOrName: string, nested = false): Result<{ column: string; value: string }, KongError> {
    if (isUuid(idOrName)) return ok({ column: "id", value: idOrName.toLowerCase() });
    const keyName = (nested ? this.opts.nestedKey : undefined) ?? this.schema.endpointKey;
    const keyField = keyName ? this.schema.fields[keyName] : undefined;
    if (!keyName || !keyField) {
      return err({
        code: 1,
        name: "invalid primary key",
        message: `invalid primary key: '{id="expected a valid UUID"}'`,
        fields: { id: "expected a valid UUID" },
      });
    }
    const bad = this.checkUnique(keyName, idOrName);
    return bad ? err(bad) : ok({ column: keyName, value: idOrName });
  }

  /**
   * Kong's check of a value looked up by a unique field (`select_by_<field>`): the field's own
   * validation, failing with "invalid unique <field>" (code 10).
   */
  checkUnique(field: string, value: string): KongError | undefined {
    const spec = this.schema.fields[field];
    const valid = spec ? validateField(spec, value) : ok(value);
    return valid.ok ? undefined : { code: 10, name: `invalid unique ${field}`, message: String(valid.error) };
  }

  /** Validates a complete entity (POST and PUT) and runs the entity checks. */
  validateFull(
    input: unknown,
    mode: "insert" | "update" = "insert",
  ): Result<Record<string, unknown>, KongError> {
    const v = validateEntity(this.schema, input, mode);
    if (!v.ok) return err(schemaViolation(v.error));
    const checks = checkEntity(this.schema, v.value);
    if (checks) return err(schemaViolation(checks));
    return ok(v.value);
  }

  async insert(input: Record<string, unknown>): Promise<Result<Entity, KongError>> {
    const v = this.validateFull(input);
    if (!v.ok) return v;
    const ctx: HookContext = { mode: "insert", input, daos: this.daos };
    const done = await this.finish(
      {
        ...v.value,
        id: (v.value.id as string) ?? crypto.randomUUID(),
        ...this.stamps(v.value.created_at, this.now()),
      },
      ctx,
    );
    if (!done.ok) return done;
    const entity = done.value;
    return this.write(async (tx) => {
      const rows = (await tx.insert(this.table).values(this.toRow(entity)).returning()) as Record<
        string,
        unknown
      >[];
      return this.written(tx, rows, ctx);
    }, entity);
  }

  /**
   * PUT: replaces the whole entity at the key, creating it when absent (Kong resets created_at too).
   * By id, the row with that id; by name, the row with that name, whatever `id` the body carries,
   * and a new row otherwise, whose `id` may not be another entity's (Kong's primary key violation).
   */
  async upsert(key: { column: string; value: string }, input: Record<string, unknown>, scope?: Filter) {
    const v = this.validateFull({ ...input, [key.column]: key.value });
    if (!v.ok) return v;
    const existing = key.column === "id" ? undefined : await this.lookupBy(key.column, key.value, scope);
    const id =
      key.column === "id" ? key.value : (existing?.id ?? (v.value.id as string) ?? crypto.randomUUID());
    const ctx: HookContext = { mode: "upsert", input, existing, daos: this.daos };
    const done = await this.finish({ ...v.value, id, ...this.stamps(v.value.created_at, this.now()) }, ctx);
    if (!done.ok) return done;
    const entity = done.value;
    const row = this.toRow(entity);
    const { id: _id, ...set } = row;
    const replaceable = key.column === "id" || existing !== undefined;
    return this.write(async (tx) => {
      const insert = tx.insert(this.table).values(row);
      const rows = (await (replaceable
        ? insert.onConflictDoUpdate({ target: this.col("id"), set })
        : insert
      ).returning()) as Record<string, unknown>[];
      return this.written(tx, rows, ctx);
    }, entity);
  }

  /** PATCH: merges the given fields into the stored entity and validates the result. */
  async update(existing: Entity, patch: Record<string, unknown>): Promise<Result<Entity, KongError>> {
    const prepared = prepareInput(this.schema, patch, "partial");
    if (!prepared.ok) return err(schemaViolation(prepared.error));
    const merged = { ...mergePatch(this.schema, existing, prepared.value), id: existing.id };
    const full = this.validateFull(merged, "update");
    if (!full.ok) return full;
    const ctx: HookContext = { mode: "update", input: prepared.value, existing, daos: this.daos };
    const done = await this.finish(
      { ...full.value, id: existing.id, ...this.stamps(existing.created_at, this.now()) },
      ctx,
    );
    if (!done.ok) return done;
    const entity = done.value;
    const { id: _id, ...set } = this.toRow(entity);
    return this.write(async (tx) => {
      const rows = (await tx
        .update(this.table)
        .set(set)
        .where(eq(this.col("id"), existing.id))
        .returning()) as Record<string, unknown>[];
      return this.written(tx, rows, ctx);
    }, entity);
  }

  private async written(tx: Tx, rows: Record<string, unknown>[], ctx: HookContext): Promise<Entity> {
    const entity = this.toEntity(rows[0] as Record<string, unknown>);
    await this.opts.hooks?.afterWrite?.(tx, entity, ctx);
    return entity;
  }

  /** DELETE: absent rows are fine (Kong answers 204 either way). */
  async delete(id: string): Promise<Result<void, KongError>> {
    return this.write(async (tx) => {
      await tx.delete(this.table).where(eq(this.col("id"), id));
    }, {});
  }

  private async lookupBy(column: string, value: string, scope?: Filter): Promise<Entity | undefined> {
    const conditions = [eq(this.col(column), value)];
    if (scope) conditions.push(eq(this.col(scope.column), scope.value));
    const rows = (await this.db
      .select()
      .from(this.table)
      .where(and(...conditions))
      .limit(1)) as Record<string, unknown>[];
    return rows[0] ? this.toEntity(rows[0]) : undefined;
  }

  private col(name: string): AnyPgColumn {
    const c = this.columns[name];
    if (!c) throw new Error(`${this.name} has no column ${name}`);
    return c;
  }

  /** Runs one write with the config version bump, and maps constraint errors to Kong's. */
  private async write<T>(
    fn: (tx: Tx) => Promise<T>,
    entity: Record<string, unknown>,
  ): Promise<Result<T, KongError>> {
    let value: T;
    try {
      value = await this.db.transaction(async (tx) => {
        const out = await fn(tx);
        await bumpConfigVersion(tx);
        return out;
      });
    } catch (e) {
      const mapped = kongErrorOf(e, entity, this);
      if (mapped) return err(mapped);
      throw e;
    }
    this.onCommit();
    return ok(value);
  }
}

/**
 * Row versions written by a transaction numbered from `from` (64-bit, as `txid_current_snapshot`
 * gives) up to `window` transactions on: those an export whose snapshot's xmin was `from` had not
 * seen, and some it had.
 */
export type Written = { from: bigint; window: bigint };

/** Whether a row's version was `written`: xmin is the low 32 bits of the writer's number. */
function writtenIn({ from, window }: Written): SQL {
  return sql`((xmin::text::bigint - ${String(from & 0xffffffffn)}::bigint) & 4294967295) < ${String(window)}::bigint`;
}

/** drizzle's own mapping of a column's driver value: none where it would hand the value back. */
const identity = Column.prototype.mapFromDriverValue;

/**
 * How an export maps a value the driver gave for the column, or undefined where the value is the
 * entity's as it comes (text, uuid, boolean; an array read as JSON whose items map to themselves).
 */
function driverMapping(column: AnyPgColumn): ((v: unknown) => unknown) | undefined {
  if (column.mapFromDriverValue === identity) return undefined;
  const base = (column as { baseColumn?: AnyPgColumn }).baseColumn;
  if (column.columnType === "PgArray" && base?.mapFromDriverValue === identity) return undefined;
  return (v) => column.mapFromDriverValue(v);
}
