import { acl } from "../handlers/acl";
import { basicAuth } from "../handlers/basic-auth";
import { botDetection } from "../handlers/bot-detection";
import { correlationId } from "../handlers/correlation-id";
import { cors } from "../handlers/cors";
import { httpLog } from "../handlers/http-log";
import { ipRestriction } from "../handlers/ip-restriction";
import { jwt } from "../handlers/jwt";
import { keyAuth } from "../handlers/key-auth";
import { mtlsAuth } from "../handlers/mtls-auth";
import { prometheus } from "../handlers/prometheus";
import { proxyCache } from "../handlers/proxy-cache";
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
    proxyCache,
    botDetection,
    cors,
    ipRestriction,
    jwt,
    mtlsAuth,
    keyAuth,
    basicAuth,
    requestSizeLimiting,
    acl,
    requestTransformer,
    responseTransformer,
    httpLog,
    prometheus,
    rateLimiting,
    requestTermination,
  ] as unknown as PluginHandler<never>[]
).sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));

export const RUNNABLE = new Set(HANDLERS.map((h) => h.name));

type Ran = { handler: PluginHandler<never>; plugin: ResolvedPlugin };

/**
 * A handler that may run on a route: its configuration there before any consumer is known, and
 * whether a consumer, once identified, may select another.
 */
type Step = { handler: PluginHandler<never>; plugin: ResolvedPlugin | undefined; byConsumer: boolean };

/**
 * Each config's steps, by route then service, made when a route first runs plugins: a request
 * then goes through the few handlers configured for it instead of resolving all of them.
 */
const plans = new WeakMap<PluginScopes, Map<string, Map<string, Step[]>>>();

function planOf(scopes: PluginScopes, route = "", service = ""): Step[] {
  let byRoute = plans.get(scopes);
  if (!byRoute) {
    byRoute = new Map();
    plans.set(scopes, byRoute);
  }
  let byService = byRoute.get(route);
  if (!byService) {
    byService = new Map();
    byRoute.set(route, byService);
  }
  let plan = byService.get(service);
  if (!plan) {
    plan = [];
    for (const handler of HANDLERS) {
      const plugin = scopes.resolve(handler.name, route, service);
      const byConsumer = scopes.byConsumer(handler.name);
      if (plugin || byConsumer) plan.push({ handler, plugin, byConsumer });
    }
    byService.set(service, plan);
  }
  return plan;
}

export type Access = { ran: Ran[]; exit?: Exit };

/**
 * Kong's access phase: each plugin, in priority order, with the configuration the request's
 * route, service and (once authenticated) consumer select, for its protocols; the first that
 * answers ends the phase. Returns the plugins of the request, for the response and log phases:
 * at once when every plugin answered at once, a promise once one had to wait.
 */
export function runAccess(
  req: PluginRequest,
  scopes: PluginScopes,
  env: PluginEnvironment,
): Access | Promise<Access> {
  return accessFrom(0, { ran: [] }, req, planOf(scopes, req.routeId, req.serviceId), scopes, env);
}

function accessFrom(
  first: number,
  out: Access,
  req: PluginRequest,
  plan: Step[],
  scopes: PluginScopes,
  env: PluginEnvironment,
): Access | Promise<Access> {
  for (let i = first; i < plan.length; i++) {
    const step = plan[i] as Step;
    const { handler } = step;
    const plugin =
      step.byConsumer && req.consumer
        ? scopes.resolve(handler.name, req.routeId, req.serviceId, req.consumer.id)
        : step.plugin;
    if (!plugin?.protocols.includes(req.scheme)) continue;
    out.ran.push({ handler, plugin });
    // after an answer, the rest are still collected for the response and log phases (Kong's
    // delayed response), but not run
    if (out.exit) continue;
    const answer = handler.access?.(req, plugin.config as never, env, plugin.scope);
    if (answer instanceof Promise)
      return answer.then((exit) => {
        if (exit) out.exit = exit;
        return accessFrom(i + 1, out, req, plan, scopes, env);
      });
    out.exit = answer ?? undefined;
  }
  return out;
}

/** Whether a plugin that ran reads or rewrites the response body (which must then be buffered). */
export function rewritesBody(ran: Ran[]): boolean {
  return ran.some((r) => r.handler.bodyFilter !== undefined || r.handler.bodyBytes !== undefined);
}

/** The body phase over bytes: plugins that keep the body (proxy-cache) see it as it goes out. */
export function runBodyBytes(
  req: PluginRequest,
  ran: Ran[],
  body: ArrayBuffer,
  headers: Headers,
  status: number,
  env: PluginEnvironment,
): void {
  for (const { handler, plugin } of ran)
    handler.bodyBytes?.(req, plugin.config as never, body, headers, status, env);
}

/**
 * Kong's body_filter phase over the whole body as text, for the plugins that ran: the new body, or
 * undefined when no plugin changed it (the text is read only when a plugin rewrites bodies).
 */
export function runBodyFilter(
  req: PluginRequest,
  ran: Ran[],
  text: () => string,
  headers: Headers,
): string | undefined {
  let out: string | undefined;
  for (const { handler, plugin } of ran) {
    if (!handler.bodyFilter) continue;
    out = handler.bodyFilter(req, plugin.config as never, out ?? text(), headers) ?? out;
  }
  return out;
}

/** Kong's log phase, for the plugins that ran (after the response; the entry is built once). */
export function runLog(req: PluginRequest, ran: Ran[], entry: () => unknown, env: PluginEnvironment): void {
  let built: unknown;
  for (const { handler, plugin } of ran) {
    if (!handler.log) continue;
    built ??= entry();
    handler.log(req, plugin.config as never, built, env);
  }
}

/** Kong's header_filter phase, for the plugins that ran. */
export function runHeaderFilter(req: PluginRequest, ran: Ran[], headers: Headers, status: number): void {
  for (const { handler, plugin } of ran) handler.headerFilter?.(req, plugin.config as never, headers, status);
}
