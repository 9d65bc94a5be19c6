import type { LogSink } from "../shared/plugins/handlers/http-log";
import type { MetricSink } from "../shared/plugins/handlers/prometheus";
import type { ResponseCache } from "../shared/plugins/handlers/proxy-cache";
import type { RateCounters } from "../shared/plugins/handlers/rate-limiting";
import { runAccess, runHeaderFilter } from "../shared/plugins/runtime/pipeline";
import type { Exit, PluginRequest } from "../shared/plugins/runtime/types";
import { HeaderMap } from "../shared/util/header-map";
import { clientCertificate } from "./client-certificate";
import type { CompiledConfig } from "./compiled-config";
import { generated } from "./kong-responses";

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

export type Plugged = Awaited<ReturnType<typeof runAccess>> & {
  req: PluginRequest;
  /** Whether a plugin read the body (the proxy then sends what was read). */
  bodyRead: boolean;
  /** The query for the service: the client's as it came, unless a plugin changed it. */
  search(): string;
};

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
  // the query is parsed only for a plugin that reads or changes it
  let query: URLSearchParams | undefined;
  let original = "";
  let read: Promise<ArrayBuffer | null> | undefined;
  let certificate: ReturnType<typeof clientCertificate> | undefined;
  const req: PluginRequest = {
    method: request.method,
    scheme,
    path,
    rawPath: url.pathname,
    state: new Map(),
    headers: request.headers,
    upstreamHeaders,
    get query() {
      if (!query) {
        query = new URLSearchParams(url.search);
        original = query.toString();
      }
      return query;
    },
    ip,
    routeId,
    serviceId,
    responseHeaders: new HeaderMap(),
    captures,
    clientCertificate() {
      certificate ??= clientCertificate(request);
      return certificate;
    },
    body() {
      read ??= request.body ? request.arrayBuffer() : Promise.resolve(null);
      return read;
    },
  };
  const result = await runAccess(req, config.plugins, { consumers: config.consumers, ...edge });
  return {
    ...result,
    req,
    get bodyRead() {
      return read !== undefined;
    },
    search() {
      if (!query) return url.search;
      const now = query.toString();
      return now === original ? url.search : now ? `?${now}` : "";
    },
  };
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
