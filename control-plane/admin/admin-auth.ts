import type { MiddlewareHandler } from "hono";
import { secretsEqual } from "../../shared/util/constant-time";

export const ADMIN_TOKEN_HEADER = "Kong-Admin-Token";

const PUBLIC_PATHS = new Set(["/docs", "/openapi.json"]);

/**
 * With an admin token configured, every Admin API request must carry it in `Kong-Admin-Token`
 * (Kong Enterprise's header), compared in constant time. The answer to a missing or wrong token is
 * the same 401.
 */
export function adminTokenAuth(token: string, log: (m: string) => void): MiddlewareHandler {
  return async (c, next) => {
    // the API's description and its docs page hold no data; the page asks for the token itself
    if (c.req.method === "GET" && PUBLIC_PATHS.has(c.req.path)) return next();
    const given = c.req.header(ADMIN_TOKEN_HEADER);
    if (given === undefined || !(await secretsEqual(given, token))) {
      log(
        `[lintel] admin: ${given === undefined ? "no" : "wrong"} ${ADMIN_TOKEN_HEADER} for ${c.req.method} ${c.req.path}`,
      );
      return c.json({ message: "Invalid credentials. Token or User credentials required" }, 401);
    }
    await next();
  };
}
