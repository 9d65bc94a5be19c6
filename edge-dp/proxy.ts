import { valueToHash } from "../shared/balancer/hash-value";
import {
  rewritesBody,
  runBodyBytes,
  runBodyFilter,
  runHeaderFilter,
  runLog,
} from "../shared/plugins/runtime/pipeline";
import type { ConsumerLookup, PluginEnvironment } from "../shared/plugins/runtime/types";
import type { RouterRequest } from "../shared/router/types";
import { upstreamPathV0 } from "../shared/router/upstream-path";
import { escapePath, normalizePath } from "../shared/util/path";
import { LINTEL_VERSION } from "../shared/version";
import { clientAddresses } from "./client-address";
import type { CompiledConfig } from "./compiled-config";
import type { DpConf } from "./env";
import { forward } from "./forward";
import { generated, httpsRequired, NO_ROUTE, NO_SERVICE } from "./kong-responses";
import { logEntry } from "./log-entry";
import { exitResponse, type Plugged, runPlugins } from "./plugins";

/** Hop-by-hop headers: not forwarded (a WebSocket upgrade keeps `upgrade` and `connection`). */
export const HOP_BY_HOP = [
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

/** The headers of Kong's `headers` option that a proxied response can get. */
const PROXIED_RESPONSE_HEADERS = [
  "via",
  "x-kong-upstream-latency",
  "x-kong-proxy-latency",
  "x-kong-upstream-status",
  "x-kong-request-id",
];

/** 32 hex characters, as Kong's request ids. */
const requestId = (): string => crypto.randomUUID().replaceAll("-", "");

/** Routes one request with the given config and forwards it to the service. */
export async function proxy(
  request: Request,
  config: CompiledConfig | undefined,
  conf: Pick<DpConf, "headers" | "headers_upstream" | "trusted_ips" | "real_ip_header" | "real_ip_recursive">,
  /** What plugins use at the edge; made only for a request that runs plugins. */
  edge: (consumers: ConsumerLookup) => PluginEnvironment,
): Promise<Response> {
  const started = Date.now();
  const id = requestId();
  // each property of a Request is a call into the runtime: read once
  const incomingHeaders = request.headers;
  const method = request.method;
  const accept = incomingHeaders.get("accept");
  const fail = (status: number, message: string) =>
    generated(status, message, id, accept, started, conf.headers);
  const url = new URL(request.url);
  const scheme = url.protocol === "https:" ? "https" : "http";
  const port = url.port ? Number(url.port) : scheme === "https" ? 443 : 80;
  const path = normalizePath(url.pathname);
  const routed: RouterRequest = {
    method,
    host: url.hostname.toLowerCase(),
    port,
    path,
    scheme,
    headers: incomingHeaders,
  };
  const match = config?.router.match(routed);
  if (!match) return fail(404, NO_ROUTE);
  if (!match.route.protocols.includes(scheme)) {
    return httpsRequired(match.route.https_redirect_status_code, url, id, accept);
  }
  const service = match.service;
  const client = clientAddresses(incomingHeaders, conf);
  const headers = new Headers(incomingHeaders);

  // Kong's access phase: plugins may identify the consumer, change the request or answer it
  let plugged: Plugged | undefined;
  let pluginEnv: PluginEnvironment | undefined;
  if (config?.plugins.mayRun(match.route.id, service?.id)) {
    pluginEnv = edge(config.consumers);
    const access = runPlugins(
      request,
      url,
      path,
      scheme,
      client.real,
      headers,
      match.route.id,
      service?.id,
      config,
      pluginEnv,
      match.captures,
    );
    // most plugins answer at once: the request then goes on without waiting a turn
    plugged = access instanceof Promise ? await access : access;
  }
  // Kong's log phase, once the response is known
  const done = (
    res: Response,
    source: "upstream" | "kong",
    details: Partial<Parameters<typeof logEntry>[0]> = {},
  ) => {
    if (plugged) {
      const p = plugged;
      runLog(
        p.req,
        p.ran,
        () =>
          logEntry({
            request,
            url,
            req: p.req,
            match,
            response: res,
            source,
            startedAt: started,
            ...details,
          }),
        pluginEnv as PluginEnvironment,
      );
    }
    return res;
  };
  if (plugged?.exit)
    return done(exitResponse(plugged.exit, plugged, id, accept, started, conf.headers), "kong");

  const target = service && config?.services.get(service.id);
  if (!service || !target) return done(fail(503, NO_SERVICE), "kong");

  const upstreamPath = escapePath(
    plugged?.req.upstreamPath ??
      upstreamPathV0({
        requestPath: path,
        matchedPath: match.matchedPath,
        stripPath: match.route.strip_path,
        servicePath: service.path,
      }),
  );

  const websocket = incomingHeaders.get("upgrade")?.toLowerCase() === "websocket";
  for (const h of HOP_BY_HOP) if (!(websocket && (h === "upgrade" || h === "connection"))) headers.delete(h);
  headers.delete("cf-connecting-ip");
  const incoming = (name: string) => (client.trusted ? incomingHeaders.get(name) : null);
  const forwardedFor = incomingHeaders.get("x-forwarded-for");
  headers.set("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${client.peer}` : client.peer);
  headers.set("x-forwarded-proto", incoming("x-forwarded-proto") ?? scheme);
  headers.set("x-forwarded-host", incoming("x-forwarded-host") ?? url.hostname);
  headers.set("x-forwarded-port", incoming("x-forwarded-port") ?? String(port));
  headers.set("x-forwarded-path", incoming("x-forwarded-path") ?? url.pathname);
  const prefix =
    incoming("x-forwarded-prefix") ??
    (match.route.strip_path && match.matchedPath && match.matchedPath !== "/" ? match.matchedPath : null);
  if (prefix !== null) headers.set("x-forwarded-prefix", prefix);
  else headers.delete("x-forwarded-prefix");
  headers.set("x-real-ip", client.real);
  if (conf.headers_upstream.has("x-kong-request-id")) headers.set("x-kong-request-id", id);
  const incomingVia = incomingHeaders.get("via");
  if (conf.headers.has("via")) headers.set("via", incomingVia ? `${incomingVia}, ${VIA}` : VIA);

  const upstream = target.kind === "balancer" ? target.balancer.upstream : undefined;
  const hash =
    upstream?.algorithm === "consistent-hashing"
      ? valueToHash(
          upstream,
          {
            ip: client.real,
            headers: incomingHeaders,
            path,
            query: url.search.slice(1),
            captures: match.captures,
          },
          () => crypto.randomUUID(),
        )
      : { value: "" };
  const hasBody = method !== "GET" && method !== "HEAD" && request.body !== null;
  const body = plugged?.req.upstreamBody
    ? plugged.req.upstreamBody
    : plugged?.req.bodyRead
      ? await plugged.req.body()
      : !hasBody
        ? null
        : match.route.request_buffering && service.retries > 0
          ? await request.arrayBuffer()
          : request.body;
  const search = plugged ? plugged.req.search() : url.search;

  const proxyLatency = Date.now() - started;
  const result = await forward(target, {
    method: plugged?.req.upstreamMethod ?? method,
    pathAndQuery: `${upstreamPath}${search}`,
    headers,
    body,
    host: match.route.preserve_host ? url.host : undefined,
    hostHeader: upstream?.host_header ?? undefined,
    retries: service.retries,
    connectTimeout: service.connect_timeout,
    readTimeout: service.read_timeout,
    valueToHash: hash.value,
  });
  if ("status" in result) return done(fail(result.status, result.message), "kong", { tries: result.tries });

  const upstreamResponse = result.response;
  const logDetails = {
    upstreamUri: `${upstreamPath}${search}`,
    tries: result.tries,
    proxyLatency,
    upstreamLatency: result.upstreamLatency,
  };
  if (upstreamResponse.webSocket) {
    return done(
      new Response(null, {
        status: 101,
        webSocket: upstreamResponse.webSocket,
        headers: upstreamResponse.headers,
      }),
      "upstream",
    );
  }
  // nothing to add (`headers = off`, no plugins): the upstream's response goes out as it came
  if (!plugged && !hash.setCookie && !PROXIED_RESPONSE_HEADERS.some((h) => conf.headers.has(h)))
    return done(upstreamResponse, "upstream", logDetails);
  // the upstream's status and headers, copied once by the runtime; its body streams through
  const response = new Response(upstreamResponse.body, upstreamResponse);
  const out = response.headers;
  if (conf.headers.has("via")) out.append("via", VIA);
  if (conf.headers.has("x-kong-upstream-latency"))
    out.set("x-kong-upstream-latency", String(result.upstreamLatency));
  if (conf.headers.has("x-kong-proxy-latency")) out.set("x-kong-proxy-latency", String(proxyLatency));
  if (conf.headers.has("x-kong-upstream-status"))
    out.set("x-kong-upstream-status", String(upstreamResponse.status));
  if (conf.headers.has("x-kong-request-id")) out.set("x-kong-request-id", id);
  if (hash.setCookie) out.append("set-cookie", hash.setCookie);
  if (plugged) {
    plugged.req.collectedHeaders?.forEach((value, name) => {
      out.set(name, value);
    });
    runHeaderFilter(plugged.req, plugged.ran, out, upstreamResponse.status);
    if (rewritesBody(plugged.ran) && upstreamResponse.body) {
      const bytes = await response.arrayBuffer();
      const text = runBodyFilter(plugged.req, plugged.ran, () => new TextDecoder().decode(bytes), out);
      const body = text === undefined ? bytes : new TextEncoder().encode(text);
      runBodyBytes(
        plugged.req,
        plugged.ran,
        body instanceof ArrayBuffer ? body : (body.buffer as ArrayBuffer),
        out,
        upstreamResponse.status,
        pluginEnv as PluginEnvironment,
      );
      return done(
        new Response(body, {
          status: upstreamResponse.status,
          statusText: upstreamResponse.statusText,
          headers: out,
        }),
        "upstream",
        logDetails,
      );
    }
  }
  return done(response, "upstream", logDetails);
}
