import { sha256Hex, utf8 } from "../../util/bytes";
import type { PluginHandler, PluginRequest } from "../runtime/types";

type Config = {
  response_code: number[];
  request_method: string[];
  content_type: string[];
  cache_ttl: number;
  cache_control: boolean;
  ignore_uri_case: boolean;
  storage_ttl: number | null;
  vary_query_params: string[] | null;
  vary_headers: string[] | null;
  response_headers: { age: boolean; "X-Cache-Status": boolean; "X-Cache-Key": boolean };
};

/** A response kept by proxy-cache. */
export type CachedResponse = {
  status: number;
  headers: Record<string, string>;
  body: ArrayBuffer;
  /** Seconds since the epoch. */
  timestamp: number;
  ttl: number;
};

/** Where proxy-cache keeps responses (the Workers Cache API at the edge). */
export interface ResponseCache {
  get(key: string): Promise<CachedResponse | undefined>;
  /** Stores off the request path. */
  put(key: string, value: CachedResponse, ttl: number): void;
}

const STATE = "proxy-cache";
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function directives(header: string | null): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const part of (header ?? "").split(",")) {
    const [k = "", v] = part.trim().split("=");
    if (k) out[k.toLowerCase()] = v === undefined ? true : v.replace(/^"|"$/g, "");
  }
  return out;
}

/** Kong's calculate_resource_ttl: s-maxage, then max-age, then Expires. */
function resourceTtl(cc: Record<string, string | true>, headers: Headers): number {
  const n = (v: string | true | undefined) => (typeof v === "string" ? Number(v) : Number.NaN);
  const s = n(cc["s-maxage"]);
  if (Number.isFinite(s)) return s;
  const m = n(cc["max-age"]);
  if (Number.isFinite(m)) return m;
  const expires = Date.parse(headers.get("expires") ?? "");
  return Number.isFinite(expires) ? Math.floor((expires - Date.now()) / 1000) : 0;
}

/** Kong's cache key parts: the listed (or all) query arguments and the listed headers. */
function varyKey(get: (name: string) => string[], names: string[]): string {
  const parts: string[] = [];
  for (const name of names) {
    const values = get(name);
    if (values.length === 0) continue;
    parts.push(values.length === 1 && values[0] === "" ? name : `${name}=${[...values].sort().join(",")}`);
  }
  return parts.join(":");
}

async function cacheKey(req: PluginRequest, conf: Config): Promise<string> {
  const prefix =
    req.consumer && req.routeId ? `${req.consumer.id}:${req.routeId}` : (req.routeId ?? "default");
  let uri = req.rawPath;
  if (conf.ignore_uri_case) uri = uri.toLowerCase();
  const names: string[] = [];
  req.query.forEach((_v, k) => {
    if (!names.includes(k)) names.push(k);
  });
  const args = conf.vary_query_params?.length ? conf.vary_query_params : names.sort();
  const params = varyKey((n) => req.query.getAll(n), args);
  const headers = conf.vary_headers?.length
    ? varyKey((n) => {
        const v = req.headers.get(n);
        return v === null ? [] : [v];
      }, conf.vary_headers)
    : "";
  return sha256Hex(utf8.encode(`${prefix}|${req.method}|${uri}|${params}|${headers}`));
}

function contentTypeMatches(type: string | null, allowed: string[]): boolean {
  if (!type) return false;
  const [mime = "", ...params] = type
    .toLowerCase()
    .split(";")
    .map((s) => s.trim());
  const [t, sub] = mime.split("/");
  return allowed.some((expected) => {
    const [emime = "", ...eparams] = expected
      .toLowerCase()
      .split(";")
      .map((s) => s.trim());
    const [et, esub] = emime.split("/");
    return (
      (et === "*" || et === t) &&
      (esub === "*" || esub === sub) &&
      eparams.sort().join(";") === params.sort().join(";")
    );
  });
}

/**
 * Kong's proxy-cache: cacheable requests answered from the cache (Hit) or stored after the
 * service answered (Miss), with Kong's cache key, TTLs and X-Cache-Status / X-Cache-Key / Age.
 */
export const proxyCache: PluginHandler<Config> = {
  name: "proxy-cache",
  priority: 100,
  async access(req, conf, env) {
    const show = (name: "X-Cache-Status" | "X-Cache-Key", value: string) => {
      if (conf.response_headers[name] || req.headers.get("kong-debug")) req.responseHeaders.set(name, value);
    };
    const cc = directives(req.headers.get("cache-control"));
    const cacheable =
      conf.request_method.includes(req.method) &&
      !(conf.cache_control && (cc["no-store"] || cc["no-cache"] || req.headers.get("authorization")));
    if (!cacheable) {
      show("X-Cache-Status", "Bypass");
      return undefined;
    }
    const key = await cacheKey(req, conf);
    show("X-Cache-Key", key);
    const hit = await env.cache.get(key);
    const now = Math.floor(Date.now() / 1000);
    const age = hit ? now - hit.timestamp : 0;
    const stale =
      !hit ||
      (conf.cache_control
        ? (typeof cc["max-age"] === "string" && age > Number(cc["max-age"])) ||
          (typeof cc["min-fresh"] === "string" && hit.ttl - age < Number(cc["min-fresh"]))
        : age > conf.cache_ttl);
    if (stale) {
      if (!hit && conf.cache_control && cc["only-if-cached"])
        return { status: 504, json: { message: "Gateway Timeout" } };
      req.state.set(STATE, key);
      show("X-Cache-Status", hit ? "Refresh" : "Miss");
      return undefined;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(hit.headers)) {
      if (
        !HOP_BY_HOP.has(k) &&
        !/ratelimit-remaining/i.test(k) &&
        !["age", "x-cache-status", "x-cache-key"].includes(k)
      )
        headers[k] = v;
    }
    if (conf.response_headers.age) headers.age = String(age);
    if (conf.response_headers["X-Cache-Status"]) headers["x-cache-status"] = "Hit";
    if (conf.response_headers["X-Cache-Key"]) headers["x-cache-key"] = key;
    req.responseHeaders.delete("x-cache-status");
    return { status: hit.status, bodyBytes: hit.body, headers, contentType: hit.headers["content-type"] };
  },
  headerFilter(req, conf, headers, status) {
    if (!req.state.has(STATE)) return;
    const cc = directives(headers.get("cache-control"));
    const ok =
      conf.response_code.includes(status) &&
      contentTypeMatches(headers.get("content-type"), conf.content_type) &&
      !(
        conf.cache_control &&
        (cc.private || cc["no-store"] || cc["no-cache"] || resourceTtl(cc, headers) <= 0)
      );
    if (!ok) {
      if (conf.response_headers["X-Cache-Status"] || req.headers.get("kong-debug"))
        headers.set("x-cache-status", "Bypass");
      req.state.delete(STATE);
      return;
    }
    req.state.set(`${STATE}:ttl`, conf.cache_control ? resourceTtl(cc, headers) : conf.cache_ttl);
  },
  bodyBytes(req, conf, body, headers, status, env) {
    const key = req.state.get(STATE) as string | undefined;
    if (!key) return;
    const ttl = req.state.get(`${STATE}:ttl`) as number;
    const stored: Record<string, string> = {};
    headers.forEach((v, k) => {
      stored[k] = v;
    });
    env.cache.put(
      key,
      { status, headers: stored, body, timestamp: Math.floor(Date.now() / 1000), ttl },
      conf.storage_ttl ?? ttl,
    );
  },
};
