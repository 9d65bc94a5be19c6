import type { CachedResponse, ResponseCache } from "../shared/plugins/handlers/proxy-cache";

const BASE = "https://proxy-cache.lintel.internal/";

/**
 * proxy-cache's store at the edge: the Workers Cache API of the colo, each response under a URL
 * made from its cache key, with its metadata in headers and the storage TTL as s-maxage.
 */
export function edgeResponseCache(waitUntil: (p: Promise<unknown>) => void): ResponseCache {
  // the colo's cache, looked up when proxy-cache asks: this is made for every request that runs
  // plugins, and most run no proxy-cache
  const cacheOf = () => (globalThis as unknown as { caches?: { default: Cache } }).caches?.default;
  return {
    async get(key) {
      const hit = await cacheOf()?.match(BASE + key);
      if (!hit) return undefined;
      const meta = JSON.parse(hit.headers.get("x-lintel-cache-meta") ?? "null") as Omit<
        CachedResponse,
        "body"
      > | null;
      if (!meta) return undefined;
      return { ...meta, body: await hit.arrayBuffer() };
    },
    put(key, value, ttl) {
      const cache = cacheOf();
      if (!cache) return;
      const { body, ...meta } = value;
      const res = new Response(body, {
        headers: {
          "cache-control": `s-maxage=${Math.max(1, Math.ceil(ttl))}`,
          "x-lintel-cache-meta": JSON.stringify(meta),
        },
      });
      waitUntil(
        cache.put(BASE + key, res).catch((e) => console.error(`[lintel] proxy-cache: storing failed: ${e}`)),
      );
    },
  };
}
