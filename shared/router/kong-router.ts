import type { DeclarativeConfig, ExportedRoute } from "../declarative/config";
import { CandidateIndex } from "./candidate-index";
import { type CacheKey, MatchCache, MISSING } from "./match-cache";
import { compareMatchers } from "./priority";
import { type Matcher, type MatchInput, matchesExceptPath, matchPath, routeMatchers } from "./route-matcher";
import type { RouteMatch, Router, RouterRequest } from "./types";

/*
 * Kong's `traditional_compatible` router: matchers tried in Kong's order (priority, then id), the
 * first that matches wins. The candidates of a request come from indexes (host, then path prefix)
 * merged in that order, so matching does not grow with the number of routes on other hosts or
 * other prefixes; answers are kept in a cache keyed by every field a route can look at.
 */

/** Routes an HTTP data plane serves: those for http or https (stream and gRPC routes are not). */
const isHttpRoute = (r: ExportedRoute) => r.protocols.some((p) => p === "http" || p === "https");

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether every character is ASCII (a loop: several times faster than a regex on short paths). */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The byte string of a normalised path as text, or undefined when it is not UTF-8 (Kong: no match). */
function asText(path: string): string | undefined {
  if (isAscii(path)) return path;
  const bytes = Uint8Array.from(path, (c) => c.charCodeAt(0));
  try {
    return fatal.decode(bytes);
  } catch {
    return undefined;
  }
}

function asBytes(text: string): string {
  if (isAscii(text)) return text;
  return String.fromCharCode(...new TextEncoder().encode(text));
}

/** The key's fields before the header values: method, scheme, host, port, SNI, path. */
const FIXED_FIELDS = 6;

/** The most header names that each take a field of the cache key. */
const MAX_HEADER_FIELDS = 8;

/** Every header's value in one string, each absent one or its length first (none is ambiguous). */
function headerValues(headers: RouterRequest["headers"], names: readonly string[]): string {
  let out = "";
  for (const name of names) {
    const v = headers.get(name);
    out += v === null ? "-" : `${v.length}:${v}`;
  }
  return out;
}

/** Kong's cache size for a router of `n` matchers (kong/runloop/handler.lua). */
const cacheSize = (n: number) => Math.min(Math.ceil(Math.max(n / 5000, 1)) * 5000, 100_000);

export function compileRouter(config: DeclarativeConfig): Router {
  const services = new Map((config.services ?? []).map((s) => [s.id, s]));
  const matchers: Matcher[] = (config.routes ?? [])
    .filter(isHttpRoute)
    .flatMap((r) => routeMatchers(r, r.service ? services.get(r.service) : undefined))
    .sort(compareMatchers);
  const index = new CandidateIndex(matchers);
  const headerNames = [...new Set(matchers.flatMap((m) => m.headers.flatMap((h) => h.names)))].sort();
  // Kong's cache size; the key is every field a matcher reads, written into one array per router
  // (matching is synchronous). Header values take a field each, or past a few headers one field
  // of them all, so that the table does not grow with the number of header names.
  const headerFields = headerNames.length <= MAX_HEADER_FIELDS ? headerNames.length : 1;
  const cache = new MatchCache(cacheSize(matchers.length), FIXED_FIELDS + headerFields);
  const key: CacheKey = new Array(FIXED_FIELDS + headerFields).fill(null);

  const found = (rank: number, text: string): RouteMatch | undefined => {
    const m = matchers[rank] as Matcher;
    const path = matchPath(m, text);
    if (!path) return undefined;
    return {
      route: m.route,
      service: m.service,
      matchedPath: path.matched === undefined ? undefined : asBytes(path.matched),
      captures: path.captures,
    };
  };

  return {
    match(req: RouterRequest): RouteMatch | undefined {
      const text = asText(req.path);
      if (text === undefined) return undefined;
      key[0] = req.method;
      key[1] = req.scheme;
      key[2] = req.host;
      key[3] = req.port;
      key[4] = req.sni ?? null;
      key[5] = text;
      if (headerFields === headerNames.length) {
        for (let i = 0; i < headerNames.length; i++)
          key[FIXED_FIELDS + i] = req.headers.get(headerNames[i] as string);
      } else key[FIXED_FIELDS] = headerValues(req.headers, headerNames);
      const hit = cache.get(key);
      if (hit !== MISSING) return hit < 0 ? undefined : found(hit, text);
      // matching is synchronous: one array of candidate lists serves every call
      scratch.length = 0;
      index.collect(req.host, text, scratch);
      const rank = firstMatch(scratch, matchers, req, text);
      cache.set(key, rank);
      return rank < 0 ? undefined : found(rank, text);
    },
  };
}

const scratch: number[][] = [];

/** Walks the candidate lists in rank order (a k-way merge) until one matches. */
function firstMatch(lists: number[][], matchers: Matcher[], req: MatchInput, text: string): number {
  if (lists.length === 1) {
    // one list: its order is the rank order
    for (const rank of lists[0] as number[]) {
      const m = matchers[rank] as Matcher;
      if (matchesExceptPath(m, req) && matchPath(m, text)) return rank;
    }
    return -1;
  }
  const at = new Array<number>(lists.length).fill(0);
  let last = -1;
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i < lists.length; i++) {
      const rank = (lists[i] as number[])[at[i] as number];
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    if (best < 0) return -1;
    at[best] = (at[best] as number) + 1;
    if (bestRank === last) continue; // a matcher reached through two of its hosts
    last = bestRank;
    const m = matchers[bestRank] as Matcher;
    if (matchesExceptPath(m, req) && matchPath(m, text)) return bestRank;
  }
}
