import { and, arrayContains, arrayOverlaps, asc, eq, gt, sql } from "drizzle-orm";
import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import {
  foreignKeyViolation,
  invalidOffset,
  invalidSize,
  type KongError,
  primaryKeyViolation,
  referencedByOthers,
  schemaViolation,
  uniqueViolation,
} from "../../shared/schema/errors";
import type { TagsFilter } from "../../shared/schema/tags-filter";
import type { EntitySchema } from "../../shared/schema/types";
import { checkEntity, isUuid, validateEntity, validateField } from "../../shared/schema/validate";
import { err, ok, type Result } from "../../shared/util/result";
import type { Db, Tx } from "../db/client";
import { configVersion } from "../db/schema";
import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgError } from "./db-errors";

export type Entity = Record<string, unknown> & { id: string };

export type ForeignKey = {
  /** The entity field (`service`). */
  field: string;
  /** The column holding the id (`service_id`). */
  column: string;
  /** The referenced entity's DAO name (`services`). */
  references: string;
};

export type EntityDaoOptions = {
  schema: EntitySchema;
  table: PgTable;
  foreignKeys?: ForeignKey[];
  /** Entities whose rows refer to this one: deleting a referenced row is refused as Kong does. */
  referrers?: string[];
  /** The unique fields, reported by name in Kong's unique violation. */
  unique?: string[];
};

export type Page = { data: Entity[]; offset?: string };

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

type Filter = { column: string; value: unknown };

/**
 * Kong's generic DAO for one entity: validation with Kong's schema rules, id-or-name lookups,
 * keyset pagination by id, and Postgres errors mapped to Kong's. Every write bumps the config
 * version in the same transaction and reports the commit, so the change reaches the data planes.
 */
export class EntityDao {
  readonly name: string;
  readonly schema: EntitySchema;
  private readonly table: PgTable;
  private readonly columns: Record<string, AnyPgColumn>;
  private readonly fks: ForeignKey[];

  constructor(
    private readonly db: Db,
    private readonly opts: EntityDaoOptions,
    private readonly onCommit: () => void,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.name = opts.schema.name;
    this.schema = opts.schema;
    this.table = opts.table;
    this.columns = opts.table as unknown as Record<string, AnyPgColumn>;
    this.fks = opts.foreignKeys ?? [];
  }

  /** Turns a row into the entity Kong returns: foreign ids become `{ id }`. */
  toEntity(row: Record<string, unknown>): Entity {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(this.schema.fields)) {
      const fk = this.fks.find((f) => f.field === name);
      if (fk) {
        const id = row[fk.column];
        out[name] = id ? { id } : null;
      } else {
        out[name] = row[name] ?? null;
      }
    }
    return out as Entity;
  }

  private toRow(entity: Record<string, unknown>): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(entity)) {
      const fk = this.fks.find((f) => f.field === name);
      if (fk) row[fk.column] = value ? (value as { id: string }).id : null;
      else row[name] = value;
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
   * Resolves a URL segment: a UUID is an id, anything else the endpoint key (`name`). An invalid
   * name is Kong's 400 "invalid unique name".
   */
  async lookup(idOrName: string): Promise<Result<Entity | undefined, KongError>> {
    const key = this.keyFor(idOrName);
    if (!key.ok) return key;
    const rows = (await this.db
      .select()
      .from(this.table)
      .where(eq(this.col(key.value.column), key.value.value))
      .limit(1)) as Record<string, unknown>[];
    return ok(rows[0] ? this.toEntity(rows[0]) : undefined);
  }

  keyFor(idOrName: string): Result<{ column: string; value: string }, KongError> {
    if (isUuid(idOrName)) return ok({ column: "id", value: idOrName.toLowerCase() });
    const keyName = this.schema.endpointKey;
    const keyField = keyName ? this.schema.fields[keyName] : undefined;
    if (!keyName || !keyField) return ok({ column: "id", value: idOrName });
    const valid = validateField(keyField, idOrName);
    if (!valid.ok) {
      return err({ code: 10, name: `invalid unique ${keyName}`, message: String(valid.error) });
    }
    return ok({ column: keyName, value: idOrName });
  }

  /** Validates a complete entity (POST and PUT) and runs the entity checks. */
  validateFull(input: unknown): Result<Record<string, unknown>, KongError> {
    const v = validateEntity(this.schema, input, "insert");
    if (!v.ok) return err(schemaViolation(v.error));
    const checks = checkEntity(this.schema, v.value);
    if (checks) return err(schemaViolation(checks));
    return ok(v.value);
  }

  async insert(input: Record<string, unknown>): Promise<Result<Entity, KongError>> {
    const v = this.validateFull(input);
    if (!v.ok) return v;
    const now = this.now();
    const entity = {
      ...v.value,
      id: (v.value.id as string) ?? crypto.randomUUID(),
      created_at: (v.value.created_at as number) ?? now,
      updated_at: now,
    };
    return this.write(async (tx) => {
      const rows = (await tx.insert(this.table).values(this.toRow(entity)).returning()) as Record<
        string,
        unknown
      >[];
      return this.toEntity(rows[0] as Record<string, unknown>);
    }, entity);
  }

  /**
   * PUT: replaces the whole entity at the key, creating it when absent (Kong resets created_at too).
   * By id, the row with that id; by name, the row with that name, whatever `id` the body carries,
   * and a new row otherwise, whose `id` may not be another entity's (Kong's primary key violation).
   */
  async upsert(key: { column: string; value: string }, input: Record<string, unknown>) {
    const v = this.validateFull({ ...input, [key.column]: key.value });
    if (!v.ok) return v;
    const now = this.now();
    const existing = key.column === "id" ? undefined : await this.lookupBy(key.column, key.value);
    const id =
      key.column === "id" ? key.value : (existing?.id ?? (v.value.id as string) ?? crypto.randomUUID());
    const entity = { ...v.value, id, created_at: (v.value.created_at as number) ?? now, updated_at: now };
    const row = this.toRow(entity);
    const { id: _id, ...set } = row;
    const replaceable = key.column === "id" || existing !== undefined;
    return this.write(async (tx) => {
      const insert = tx.insert(this.table).values(row);
      const rows = (await (replaceable
        ? insert.onConflictDoUpdate({ target: this.col("id"), set })
        : insert
      ).returning()) as Record<string, unknown>[];
      return this.toEntity(rows[0] as Record<string, unknown>);
    }, entity);
  }

  /** PATCH: merges the given fields into the stored entity and validates the result. */
  async update(existing: Entity, patch: Record<string, unknown>): Promise<Result<Entity, KongError>> {
    const partial = validateEntity(this.schema, patch, "partial");
    if (!partial.ok) return err(schemaViolation(partial.error));
    const merged: Record<string, unknown> = { ...existing, ...partial.value, id: existing.id };
    const full = this.validateFull(merged);
    if (!full.ok) return full;
    const entity = {
      ...full.value,
      id: existing.id,
      created_at: existing.created_at,
      updated_at: this.now(),
    };
    const { id: _id, ...set } = this.toRow(entity);
    return this.write(async (tx) => {
      const rows = (await tx
        .update(this.table)
        .set(set)
        .where(eq(this.col("id"), existing.id))
        .returning()) as Record<string, unknown>[];
      return this.toEntity(rows[0] as Record<string, unknown>);
    }, entity);
  }

  /** DELETE: absent rows are fine (Kong answers 204 either way). */
  async delete(id: string): Promise<Result<void, KongError>> {
    return this.write(async (tx) => {
      await tx.delete(this.table).where(eq(this.col("id"), id));
    }, {});
  }

  private async lookupBy(column: string, value: string): Promise<Entity | undefined> {
    const rows = (await this.db
      .select()
      .from(this.table)
      .where(eq(this.col(column), value))
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
      const mapped = this.mapError(e, entity);
      if (mapped) return err(mapped);
      throw e;
    }
    this.onCommit();
    return ok(value);
  }

  private mapError(e: unknown, entity: Record<string, unknown>): KongError | undefined {
    const pg = pgError(e);
    if (!pg) return undefined;
    if (pg.code === PG_UNIQUE_VIOLATION) {
      const field = (this.opts.unique ?? []).find((f) => pg.constraint?.includes(`_${f}_`));
      if (field) return uniqueViolation({ [field]: entity[field] });
      return primaryKeyViolation({ id: entity.id });
    }
    if (pg.code === PG_FOREIGN_KEY_VIOLATION) {
      if (pg.detail?.includes("is still referenced")) {
        const referrer = (this.opts.referrers ?? []).find((r) => pg.detail?.includes(`"${r}"`));
        return referencedByOthers(this.name, referrer ?? "routes");
      }
      const fk = this.fks.find((f) => pg.constraint?.includes(`_${f.column}_`));
      if (fk) {
        const ref = entity[fk.field] as { id: string };
        return foreignKeyViolation(fk.field, { id: ref?.id }, fk.references);
      }
    }
    return undefined;
  }
}

export async function bumpConfigVersion(tx: Tx): Promise<void> {
  await tx
    .insert(configVersion)
    .values({ id: 1, version: 1 })
    .onConflictDoUpdate({ target: configVersion.id, set: { version: sql`${configVersion.version} + 1` } });
}
