import { eq } from "drizzle-orm";
import { schemaViolation } from "../../../shared/schema/errors";
import type { FieldErrors } from "../../../shared/schema/types";
import { err, ok } from "../../../shared/util/result";
import type { Db } from "../../db/client";
import { routes } from "../../db/schema";
import type { EntityHooks } from "../entity-dao";

/**
 * A plugin on a route must share a protocol with it, and one on a service with at least one of the
 * service's routes (or the service has none), as Kong's plugins DAO checks.
 */
export function pluginHooks(db: Db): EntityHooks {
  return {
    async beforeWrite(entity) {
      const protocols = (entity.protocols as string[] | null) ?? [];
      const shares = (r: { protocols: string[] }) => r.protocols.some((p) => protocols.includes(p));
      const routeId = (entity.route as { id?: string } | null)?.id;
      if (routeId) {
        const [route] = await db
          .select({ protocols: routes.protocols })
          .from(routes)
          .where(eq(routes.id, routeId));
        if (route && !shares(route)) {
          return err(
            schemaViolation({ protocols: "must match the associated route's protocols" } as FieldErrors),
          );
        }
        return ok(entity);
      }
      const serviceId = (entity.service as { id?: string } | null)?.id;
      if (serviceId) {
        const own = await db
          .select({ protocols: routes.protocols })
          .from(routes)
          .where(eq(routes.service_id, serviceId));
        if (own.length && !own.some(shares)) {
          return err(
            schemaViolation({
              protocols: "must match the protocols of at least one route pointing to this Plugin's service",
            } as FieldErrors),
          );
        }
      }
      return ok(entity);
    },
  };
}
