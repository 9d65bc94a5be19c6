import type { DeclarativeConfig, ExportedRoute, ExportedService } from "../shared/declarative/config";
import { compileRouter } from "../shared/router/kong-router";
import { compareMatchers } from "../shared/router/priority";
import { matchesExceptPath, matchPath, routeMatchers } from "../shared/router/route-matcher";
import type { RouterRequest } from "../shared/router/types";
import { median } from "./load";

/*
 * Router compile and match at growing numbers of routes, against a baseline measured in the same
 * run: the same matchers in the same order, tried one by one (what a router without indexes does).
 */

export type RouterBenchRow = {
  routes: number;
  compileMs: number;
  /** Microseconds per match, every request different (the match cache never hits). */
  missUs: number;
  /** Microseconds per match, requests repeating (the match cache hits). */
  hitUs: number;
  /** Microseconds per match of the linear baseline, every request different. */
  linearUs: number;
};

const SERVICE = { id: "00000000-0000-4000-8000-000000000001", path: null } as unknown as ExportedService;

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/**
 * A mix as large gateways have it: most routes on their own host or API prefix, some wildcard
 * hosts, some header and method routes, a few regexes.
 */
export function syntheticRoutes(n: number): ExportedRoute[] {
  const routes: ExportedRoute[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 100;
    const base = {
      id: uuid(i + 2),
      protocols: ["http", "https"],
      methods: null,
      hosts: null,
      paths: null,
      headers: null,
      snis: null,
      sources: null,
      destinations: null,
      regex_priority: 0,
      strip_path: true,
      service: SERVICE.id,
    } as unknown as ExportedRoute;
    if (kind < 45) routes.push({ ...base, hosts: [`svc${i}.example.test`], paths: [`/api/v1/r${i}`] });
    else if (kind < 80) routes.push({ ...base, paths: [`/p${i}/items`, `/p${i}/things/more`] });
    else if (kind < 90) routes.push({ ...base, hosts: [`*.tenant${i}.example.test`], paths: ["/"] });
    else if (kind < 99)
      routes.push({ ...base, methods: ["POST"], headers: { "x-shard": [`s${i}`] }, paths: [`/h${i}`] });
    else routes.push({ ...base, paths: [`~/re${i}/(?<id>\\d+)$`] });
  }
  return routes;
}

/** A request for route `i` of `syntheticRoutes`, with a path of its own (`salt`). */
function requestFor(routes: ExportedRoute[], i: number, salt: number): RouterRequest {
  const r = routes[i] as ExportedRoute;
  const host = r.hosts?.[0]?.replace("*", `a${salt}`) ?? "gateway.example.test";
  const path = r.paths?.[0]?.startsWith("~") ? `/re${i}/${salt}` : `${r.paths?.[0] ?? "/"}/${salt}`;
  const shard = r.headers?.["x-shard"]?.[0] ?? null;
  return {
    method: r.methods?.[0] ?? "GET",
    host,
    port: 80,
    path,
    scheme: "http",
    headers: { get: (name: string) => (name === "x-shard" ? shard : null) },
  };
}

function timeUs(requests: RouterRequest[], match: (r: RouterRequest) => unknown): number {
  const start = performance.now();
  for (const r of requests) if (!match(r)) throw new Error(`no match for ${r.host}${r.path}`);
  return ((performance.now() - start) * 1000) / requests.length;
}

export function benchRouter(sizes: number[], requestsPerSize = 20_000): RouterBenchRow[] {
  const rows: RouterBenchRow[] = [];
  for (const n of sizes) {
    const routes = syntheticRoutes(n);
    const config: DeclarativeConfig = {
      _format_version: "3.0",
      _transform: false,
      services: [SERVICE],
      routes,
    };
    const t0 = performance.now();
    const router = compileRouter(config);
    const compileMs = performance.now() - t0;

    const pick = (k: number) => (k * 7919) % n;
    // every pass asks questions no earlier pass asked (its own salts), so the cache never answers
    const pass = (p: number) =>
      Array.from({ length: requestsPerSize }, (_, k) => requestFor(routes, pick(k), p * requestsPerSize + k));
    const repeats = Array.from({ length: requestsPerSize }, (_, k) =>
      requestFor(routes, pick(k % 100), k % 100),
    );
    // one pass to warm the JIT up, then the median of seven (this machine is shared and noisy)
    timeUs(pass(0), (r) => router.match(r));
    const missUs = median(Array.from({ length: 7 }, (_, p) => timeUs(pass(p + 1), (r) => router.match(r))));
    const misses = pass(8);
    const hitUs = median(Array.from({ length: 7 }, () => timeUs(repeats, (r) => router.match(r))));

    const matchers = routes.flatMap((r) => routeMatchers(r, SERVICE)).sort(compareMatchers);
    const linear = (r: RouterRequest) => {
      return matchers.find((m) => matchesExceptPath(m, r) && matchPath(m, r.path));
    };
    const linearRequests = misses.slice(0, Math.max(200, Math.floor(2_000_000 / n)));
    const linearUs = timeUs(linearRequests, linear);
    rows.push({ routes: n, compileMs, missUs, hitUs, linearUs });
  }
  return rows;
}
