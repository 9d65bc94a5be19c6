import { type Access, runAccess, runHeaderFilter } from "../shared/plugins/runtime/pipeline";
import type { Exit, PluginEnvironment } from "../shared/plugins/runtime/types";
import type { CompiledConfig } from "./compiled-config";
import { generated } from "./kong-responses";
import { EdgePluginRequest } from "./plugin-request";

export type Plugged = Access & { req: EdgePluginRequest };

/** Runs the access phase of the request's plugins: at once, unless a plugin had to wait. */
export function runPlugins(
  request: Request,
  url: URL,
  path: string,
  scheme: "http" | "https",
  ip: string,
  upstreamHeaders: Headers,
  routeId: string,
  serviceId: string | undefined,
  config: CompiledConfig,
  env: PluginEnvironment,
  captures: Record<string, string> | undefined,
): Plugged | Promise<Plugged> {
  const req = new EdgePluginRequest(
    request,
    url,
    path,
    scheme,
    ip,
    upstreamHeaders,
    routeId,
    serviceId,
    captures,
  );
  const access = runAccess(req, config.plugins, env);
  return access instanceof Promise ? access.then((done) => withRequest(done, req)) : withRequest(access, req);
}

const withRequest = (access: Access, req: EdgePluginRequest): Plugged =>
  access.exit ? { ran: access.ran, exit: access.exit, req } : { ran: access.ran, req };

/** A plugin's own answer, with the headers plugins and Kong's `headers` option add. */
export function exitResponse(
  exit: Exit,
  plugged: Plugged,
  requestId: string,
  accept: string | null,
  startedAt: number,
  enabled: ReadonlySet<string>,
): Response {
  let res: Response;
  if (exit.message !== undefined) {
    res = generated(exit.status, exit.message, requestId, accept, startedAt, enabled);
  } else {
    const body = exit.json !== undefined ? JSON.stringify(exit.json) : (exit.bodyBytes ?? exit.body ?? null);
    const type = exit.json !== undefined ? "application/json; charset=utf-8" : exit.contentType;
    res = generated(exit.status, "", requestId, accept, startedAt, enabled);
    res = new Response(body, { status: exit.status, headers: res.headers });
    if (type) res.headers.set("content-type", type);
    else res.headers.delete("content-type");
  }
  for (const [name, value] of Object.entries(exit.headers ?? {})) res.headers.set(name, value);
  plugged.req.collectedHeaders?.forEach((value, name) => {
    res.headers.set(name, value);
  });
  runHeaderFilter(plugged.req, plugged.ran, res.headers, exit.status);
  return res;
}
