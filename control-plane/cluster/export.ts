import { eq } from "drizzle-orm";
import {
  type DeclarativeConfig,
  type ExportedRoute,
  type ExportedService,
  flattenForeignKeys,
} from "../../shared/declarative/config";
import type { Daos } from "../dao";
import type { Db } from "../db/client";
import { configVersion } from "../db/schema";

/**
 * Kong's `export_config`: one consistent read (REPEATABLE READ, READ ONLY) of every entity, with
 * disabled services and their routes left out, foreign keys flattened to ids.
 */
export async function exportConfig(
  db: Db,
  daos: Daos,
): Promise<{ version: number; config: DeclarativeConfig }> {
  return db.transaction(
    async (tx) => {
      const [row] = await tx.select().from(configVersion).where(eq(configVersion.id, 1));
      const services = await daos.services.all(tx);
      const routes = await daos.routes.all(tx);
      const disabled = new Set(services.filter((s) => s.enabled === false).map((s) => s.id));
      const config: DeclarativeConfig = { _format_version: "3.0", _transform: false };
      const exportedServices = services
        .filter((s) => !disabled.has(s.id))
        .map((s) => flattenForeignKeys(s, ["client_certificate"]) as ExportedService);
      const exportedRoutes = routes
        .filter((r) => !disabled.has((r.service as { id: string } | null)?.id ?? ""))
        .map((r) => flattenForeignKeys(r, ["service"]) as ExportedRoute);
      if (exportedServices.length) config.services = exportedServices;
      if (exportedRoutes.length) config.routes = exportedRoutes;
      return { version: row?.version ?? 0, config };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

export async function readConfigVersion(db: Db): Promise<number> {
  const [row] = await db.select().from(configVersion).where(eq(configVersion.id, 1));
  return row?.version ?? 0;
}
