import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { KongError } from "../../shared/schema/errors";

/** HTTP status for each of Kong's DAO error codes (kong/api/endpoints.lua). */
const STATUS: Record<number, ContentfulStatusCode> = {
  1: 400,
  2: 400,
  3: 400,
  4: 400,
  5: 409,
  6: 404,
  7: 400,
  9: 400,
  10: 400,
  11: 400,
  12: 405,
  13: 400,
  14: 400,
  19: 400,
};

export function kongError(c: Context, e: KongError): Response {
  return c.json(e, STATUS[e.code] ?? 500);
}

export const notFound = (c: Context) => c.json({ message: "Not found" }, 404);
export const methodNotAllowed = (c: Context) => c.json({ message: "Method not allowed" }, 405);
export const unexpected = (c: Context) => c.json({ message: "An unexpected error occurred" }, 500);

/** Kong's answer to OPTIONS: 204 with the methods the path allows. */
export function options(c: Context, methods: string): Response {
  c.header("Allow", methods);
  c.header("Access-Control-Allow-Methods", methods);
  c.header("Access-Control-Allow-Headers", "Content-Type");
  c.header("Access-Control-Allow-Origin", "*");
  return c.body(null, 204);
}
