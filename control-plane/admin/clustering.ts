import type { Hono } from "hono";
import type { DataPlaneStore } from "../cluster/data-planes";
import { EntityDao } from "../dao/entity-dao";
import { kongError, notFound } from "./kong-response";

/** `/clustering/data-planes`: every DP the cluster has seen, as Kong lists them. */
export function mountClustering(
  app: Hono,
  store: DataPlaneStore,
  now: () => number,
  currentHash: () => string | undefined,
): void {
  app.get("/clustering/data-planes", async (c) => {
    const paging = EntityDao.parsePaging(c.req.query("size"), c.req.query("offset"));
    if (!paging.ok) return kongError(c, paging.error);
    const page = await store.page(paging.value.size, paging.value.after, now(), currentHash());
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
}
