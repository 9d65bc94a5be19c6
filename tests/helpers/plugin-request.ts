import type { PluginRequest } from "../../shared/plugins/runtime/types";

/** A request as plugins see it, for a handler's own tests: no runtime, the body as given. */
export function pluginRequest(
  opts: {
    method?: string;
    headers?: Record<string, string>;
    query?: string;
    body?: string;
    routeId?: string;
  } = {},
): PluginRequest {
  const bytes = opts.body === undefined ? null : (new TextEncoder().encode(opts.body).buffer as ArrayBuffer);
  return {
    method: opts.method ?? "GET",
    scheme: "https",
    path: "/",
    rawPath: "/",
    state: new Map(),
    headers: new Headers(opts.headers),
    upstreamHeaders: new Headers(opts.headers),
    query: new URLSearchParams(opts.query),
    ip: "192.0.2.1",
    routeId: opts.routeId ?? "r",
    serviceId: "s",
    responseHeaders: new Headers(),
    body: async () => bytes,
  };
}
