import type { PluginRequest } from "../shared/plugins/runtime/types";
import type { RouteMatch } from "../shared/router/types";

const REDACTED = new Set(["authorization", "proxy-authorization", "cookie"]);

function headerObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = REDACTED.has(name) ? "REDACTED" : value;
  });
  return out;
}

/**
 * Kong's log serializer (kong.log.serialize) for one request, the fields at the edge has: the
 * request, the upstream URI, the response, tries, latencies, client IP, route, service, consumer.
 * Credentials (Authorization, Proxy-Authorization, Cookie) are not written out.
 */
export function logEntry(opts: {
  request: Request;
  url: URL;
  req: PluginRequest;
  match: RouteMatch;
  response: Response;
  source: "upstream" | "kong";
  startedAt: number;
  upstreamUri?: string;
  tries?: number;
  proxyLatency?: number;
  upstreamLatency?: number;
}): unknown {
  const { request, url, req, match, response } = opts;
  const size = (h: Headers) => Number(h.get("content-length") ?? 0);
  return {
    request: {
      uri: `${url.pathname}${url.search}`,
      url: url.toString(),
      querystring: Object.fromEntries(url.searchParams),
      method: request.method,
      headers: headerObject(request.headers),
      size: size(request.headers),
    },
    upstream_uri: opts.upstreamUri,
    response: {
      status: response.status,
      headers: headerObject(response.headers),
      size: size(response.headers),
    },
    tries: opts.tries,
    latencies: {
      kong: opts.proxyLatency ?? Date.now() - opts.startedAt,
      proxy: opts.upstreamLatency ?? -1,
      request: Date.now() - opts.startedAt,
    },
    client_ip: req.ip,
    started_at: opts.startedAt,
    route: match.route,
    service: match.service,
    consumer: req.consumer,
    authenticated_entity: req.credential ? { id: req.credential.id } : undefined,
    source: opts.source,
  };
}
