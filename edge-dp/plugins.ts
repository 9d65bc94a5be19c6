import type { LogSink } from "../shared/plugins/handlers/http-log";
import type { MetricSink } from "../shared/plugins/handlers/prometheus";
import type { ResponseCache } from "../shared/plugins/handlers/proxy-cache";
import type { RateCounters } from "../shared/plugins/handlers/rate-limiting";
import { runAccess, runHeaderFilter } from "../shared/plugins/runtime/pipeline";
import type { Exit } from "../shared/plugins/runtime/types";
import type { CompiledConfig } from "./compiled-config";
import { generated } from "./kong-responses";
import { EdgePluginRequest } from "./plugin-request";

/**
 * What plugins use at the edge besides the config: rate-limiting counters, the log queue, the
 * response cache and the isolate's metrics.
 */
export type EdgeServices = {
  counters: RateCounters;
  logs: LogSink;
  cache: ResponseCache;
  metrics: MetricSink;
};

export type Plugged = Awaited<ReturnType<typeof runAccess>> & { req: EdgePluginRequest };

/** Runs the access phase of the request's plugins. */
export async function runPlugins(
  request: Request,
  url: URL,
  path: string,
  scheme: "http" | "https",
  ip: string,
  upstreamHeaders: Headers,
  routeId: string,
  serviceId: string | undefined,
  config: CompiledConfig,
  edge: EdgeServices,
  captures: Record<string, string> | undefined,
): Promise<Plugged> {
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
  const { ran, exit } = await runAccess(req, config.plugins, { consumers: config.consumers, ...edge });
  return exit ? { ran, exit, req } : { ran, req };
}

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
  plugged.req.responseHeaders.forEach((value, name) => {
    res.headers.set(name, value);
  });
  runHeaderFilter(plugged.req, plugged.ran, res.headers, exit.status);
  return res;
}
