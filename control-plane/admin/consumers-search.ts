import type { Hono } from "hono";
import type { Daos } from "../dao";
import { kongError } from "./kong-response";

/**
 * `GET /consumers?custom_id=X`: Kong's lookup of a consumer by `custom_id` (api/routes/consumers.lua),
 * registered before the generic collection so that it answers first.
 */
export function mountConsumerSearch(app: Hono, daos: Daos): void {
  app.get("/consumers", async (c, next) => {
    const customId = c.req.query("custom_id");
    if (customId === undefined) return next();
    if (customId === "") return c.json({ message: "custom_id must be an unempty string" }, 400);
    const bad = daos.consumers.checkUnique("custom_id", customId);
    if (bad) return kongError(c, bad);
    const found = await daos.consumers.findBy("custom_id", customId);
    return c.json({ data: found ? [await daos.consumers.present(found)] : [], next: null });
  });
}
