import { acl } from "../handlers/acl";
import { basicAuth } from "../handlers/basic-auth";
import { correlationId } from "../handlers/correlation-id";
import { cors } from "../handlers/cors";
import { ipRestriction } from "../handlers/ip-restriction";
import { jwt } from "../handlers/jwt";
import { keyAuth } from "../handlers/key-auth";
import { rateLimiting } from "../handlers/rate-limiting";
import { requestSizeLimiting } from "../handlers/request-size-limiting";
import { requestTermination } from "../handlers/request-termination";
import { requestTransformer } from "../handlers/request-transformer";
import { responseTransformer } from "../handlers/response-transformer";
import type { PluginScopes, ResolvedPlugin } from "./scopes";
import type { Exit, PluginEnvironment, PluginHandler, PluginRequest } from "./types";

/** The plugins a Lintel data plane runs, highest priority first (Kong's order; equal: by name). */
export const HANDLERS: readonly PluginHandler<never>[] = (
  [
    correlationId,
    cors,
    ipRestriction,
    jwt,
    keyAuth,
    basicAuth,
    requestSizeLimiting,
    acl,
    requestTransformer,
    responseTransformer,
    rateLimiting,
    requestTermination,
  ] as unknown as PluginHandler<never>[]
).sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));

export const RUNNABLE = new Set(HANDLERS.map((h) => h.name));

type Ran = { handler: PluginHandler<never>; plugin: ResolvedPlugin };

/**
 * Kong's access phase: each plugin, in priority order, with the configuration the request's
 * route, service and (once authenticated) consumer select, for its protocols; the first that
 * answers ends the phase. Returns the plugins that ran, for the response phase.
 */
export async function runAccess(
  req: PluginRequest,
  scopes: PluginScopes,
  env: PluginEnvironment,
): Promise<{ ran: Ran[]; exit?: Exit }> {
  const ran: Ran[] = [];
  for (const handler of HANDLERS) {
    const plugin = scopes.resolve(handler.name, req.routeId, req.serviceId, req.consumer?.id);
    if (!plugin || !plugin.protocols.includes(req.scheme)) continue;
    ran.push({ handler, plugin });
    const exit = await handler.access?.(req, plugin.config as never, env, plugin.scope);
    if (exit) return { ran, exit };
  }
  return { ran };
}

/** Whether a plugin that ran may rewrite the response body (which must then be buffered). */
export function rewritesBody(ran: Ran[]): boolean {
  return ran.some((r) => r.handler.bodyFilter !== undefined);
}

/** Kong's body_filter phase over the whole body, for the plugins that ran. */
export function runBodyFilter(req: PluginRequest, ran: Ran[], body: string, headers: Headers): string {
  let out = body;
  for (const { handler, plugin } of ran)
    out = handler.bodyFilter?.(req, plugin.config as never, out, headers) ?? out;
  return out;
}

/** Kong's header_filter phase, for the plugins that ran. */
export function runHeaderFilter(req: PluginRequest, ran: Ran[], headers: Headers, status: number): void {
  for (const { handler, plugin } of ran) handler.headerFilter?.(req, plugin.config as never, headers, status);
}
