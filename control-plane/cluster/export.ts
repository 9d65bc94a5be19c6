import { eq } from "drizzle-orm";
import { type DeclarativeConfig, flattenForeignKeys } from "../../shared/declarative/config";
import { NO_EPOCH } from "../../shared/snapshot/rollback";
import { type Daos, ENTITY_NAMES } from "../dao";
import type { ForeignKey } from "../dao/entity-dao";
import type { Db } from "../db/client";
import { configVersion } from "../db/schema";

/** A foreign key's id, in an entity as read (`{ id }`) or as exported (flattened to the id). */
const refId = (entity: Readonly<Record<string, unknown>>, field: string) => {
  const ref = entity[field];
  return typeof ref === "string" ? ref : (ref as { id?: string } | null | undefined)?.id;
};

/**
 * Whether the data planes get an entity: not a disabled service or plugin, nor one that refers to
 * an entity left out (`left`, filled in Kong's order: services before their routes and plugins).
 */
export function exportable(
  name: string,
  entity: Readonly<Record<string, unknown>>,
  fks: readonly ForeignKey[],
  left: ReadonlySet<string>,
): boolean {
  if ((name === "services" || name === "plugins") && entity.enabled === false) return false;
  return !fks.some((fk) => left.has(refId(entity, fk.field) ?? ""));
}

/**
 * Kong's `export_config`: one consistent read (REPEATABLE READ, READ ONLY) of every entity, in
 * Kong's order, foreign keys flattened to ids. Disabled services, their routes, disabled plugins and
 * plugins on what was left out are not exported.
 */
export async function exportConfig(
  db: Db,
  daos: Daos,
  opts: { includeDisabled?: boolean } = {},
): Promise<{ version: number; epoch: string; config: DeclarativeConfig }> {
  return db.transaction(
    async (tx) => {
      const [row] = await tx.select().from(configVersion).where(eq(configVersion.id, 1));
      const config: Record<string, unknown> = { _format_version: "3.0", _transform: false };
      const left = new Set<string>();
      for (const name of ENTITY_NAMES) {
        const dao = daos[name];
        const rows = (await dao.all(tx)).filter((e) => {
          const keep = opts.includeDisabled || exportable(name, e, dao.fks, left);
          if (!keep) left.add(e.id);
          return keep;
        });
        if (rows.length) {
          config[name] = rows.map((e) =>
            flattenForeignKeys(
              e,
              dao.fks.map((fk) => fk.field),
            ),
          );
        }
      }
      return {
        version: row?.version ?? 0,
        epoch: row?.epoch ?? NO_EPOCH,
        config: config as DeclarativeConfig,
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

/** The config version and the database's epoch: what a snapshot made now would carry. */
export async function readConfigState(db: Db): Promise<{ version: number; epoch: string }> {
  const [row] = await db.select().from(configVersion).where(eq(configVersion.id, 1));
  return { version: row?.version ?? 0, epoch: row?.epoch ?? NO_EPOCH };
}

export async function readConfigVersion(db: Db): Promise<number> {
  const [row] = await db.select().from(configVersion).where(eq(configVersion.id, 1));
  return row?.version ?? 0;
}
