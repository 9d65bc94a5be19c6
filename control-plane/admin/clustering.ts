import type { Hono } from "hono";
import type { DataPlaneDirectory } from "../cluster/data-planes";
import { EntityDao } from "../dao/entity-dao";
import { kongError, notFound } from "./kong-response";

/** `/clustering/data-planes`: every DP the cluster has seen, as Kong lists them. */
export function mountClustering(
  app: Hono,
  store: DataPlaneDirectory,
  now: () => number,
  currentHash: () => string | undefined | Promise<string | undefined>,
): void {
  app.get("/clustering/data-planes", async (c) => {
    const paging = EntityDao.parsePaging(c.req.query("size"), c.req.query("offset"));
    if (!paging.ok) return kongError(c, paging.error);
    const page = await store.page(paging.value.size, paging.value.after, now(), await currentHash());
    if (!page.offset) return c.json({ data: page.data, next: null });
    return c.json({
      data: page.data,
      offset: page.offset,
      next: `/clustering/data-planes?offset=${encodeURIComponent(page.offset)}`,
    });
  });
  app.on(
    ["POST", "PUT", "PATCH", "DELETE"],
    ["/clustering/data-planes", "/clustering/data-planes/:id"],
    notFound,
  );

  /** Kong's deprecated `/clustering/status`: the same data planes, keyed by id. */
  app.get("/clustering/status", async (c) => {
    const out: Record<string, unknown> = {};
    let after: string | undefined;
    const hash = await currentHash();
    do {
      const page = await store.page(1000, after, now(), hash);
      for (const dp of page.data) {
        out[dp.id] = {
          config_hash: dp.config_hash,
          hostname: dp.hostname,
          ip: dp.ip,
          last_seen: dp.last_seen,
        };
      }
      after = page.offset ? page.data[page.data.length - 1]?.id : undefined;
    } while (after);
    c.header("Deprecation", "true");
    return c.json(out);
  });
}
