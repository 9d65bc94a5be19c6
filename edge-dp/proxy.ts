import type { RouterRequest } from "../shared/router/types";
import { upstreamPathV0 } from "../shared/router/upstream-path";
import { escapePath, normalizePath } from "../shared/util/path";
import { LINTEL_VERSION } from "../shared/version";
import type { CompiledConfig } from "./compiled-config";
import {
  BAD_GATEWAY,
  GATEWAY_TIMEOUT,
  httpsRequired,
  kongMessage,
  NO_ROUTE,
  NO_SERVICE,
} from "./kong-responses";

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

const VIA = `1.1 lintel/${LINTEL_VERSION}`;

/** 32 hex characters, as Kong's request ids. */
const requestId = (): string => crypto.randomUUID().replaceAll("-", "");

/** Routes one request with the given config and forwards it to the service. */
export async function proxy(request: Request, config: CompiledConfig | undefined): Promise<Response> {
  const started = Date.now();
  const id = requestId();
  const url = new URL(request.url);
  const scheme = url.protocol === "https:" ? "https" : "http";
  const port = url.port ? Number(url.port) : scheme === "https" ? 443 : 80;
  const path = normalizePath(url.pathname);
  const routed: RouterRequest = {
    method: request.method,
    host: url.hostname.toLowerCase(),
    port,
    path,
    scheme,
    headers: request.headers,
  };
  const match = config?.router.match(routed);
  if (!match) return kongMessage(404, NO_ROUTE, id);
  if (!match.route.protocols.includes(scheme)) {
    return httpsRequired(match.route.https_redirect_status_code, url, id);
  }
  const service = match.service;
  const target = service && config?.upstreams.get(service.id);
  if (!service || !target) return kongMessage(503, NO_SERVICE, id);

  const upstreamPath = escapePath(
    upstreamPathV0({
      requestPath: path,
      matchedPath: match.matchedPath,
      stripPath: match.route.strip_path,
      servicePath: service.path,
    }),
  );
  const upstreamUrl = `${target.origin}${upstreamPath}${url.search}`;

  const headers = new Headers(request.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  const clientIp = request.headers.get("cf-connecting-ip") ?? "127.0.0.1";
  const forwardedFor = request.headers.get("x-forwarded-for");
  headers.set("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${clientIp}` : clientIp);
  headers.set("x-forwarded-proto", scheme);
  headers.set("x-forwarded-host", url.hostname);
  headers.set("x-forwarded-port", String(port));
  headers.set("x-forwarded-path", url.pathname);
  if (match.route.strip_path && match.matchedPath && match.matchedPath !== "/") {
    headers.set("x-forwarded-prefix", match.matchedPath);
  }
  headers.set("x-real-ip", clientIp);
  headers.set("x-kong-request-id", id);
  const incomingVia = request.headers.get("via");
  headers.set("via", incomingVia ? `${incomingVia}, ${VIA}` : VIA);
  headers.set("host", match.route.preserve_host ? url.host : target.host);
  headers.delete("cf-connecting-ip");

  const proxyLatency = Date.now() - started;
  let upstream: Response;
  const sentAt = Date.now();
  try {
    upstream = await fetch(upstreamUrl, {
      method: request.method,
      headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(service.connect_timeout + service.read_timeout),
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    return timedOut ? kongMessage(504, GATEWAY_TIMEOUT, id) : kongMessage(502, BAD_GATEWAY, id);
  }
  const out = new Headers(upstream.headers);
  out.append("via", VIA);
  out.set("x-kong-upstream-latency", String(Date.now() - sentAt));
  out.set("x-kong-proxy-latency", String(proxyLatency));
  out.set("x-kong-request-id", id);
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: out,
  });
}
