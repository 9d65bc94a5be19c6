import { routesSchema } from "../../shared/entities/routes";
import { servicesSchema } from "../../shared/entities/services";
import type { Db } from "../db/client";
import { routes, services } from "../db/schema";
import { EntityDao } from "./entity-dao";

export type Daos = { services: EntityDao; routes: EntityDao };

/** The DAOs of every entity the Admin API serves. */
export function createDaos(db: Db, onCommit: () => void): Daos {
  return {
    services: new EntityDao(
      db,
      { schema: servicesSchema, table: services, unique: ["name"], referrers: ["routes"] },
      onCommit,
    ),
    routes: new EntityDao(
      db,
      {
        schema: routesSchema,
        table: routes,
        unique: ["name"],
        foreignKeys: [{ field: "service", column: "service_id", references: "services" }],
      },
      onCommit,
    ),
  };
}
