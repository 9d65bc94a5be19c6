import type { DeclarativeConfig, ExportedRoute, ExportedService } from "../declarative/config";
import type { RouteMatch, Router, RouterRequest } from "./types";

/*
 * A first router: hosts (exact and wildcard, optional port), methods, headers, snis (the request's
 * host stands for its SNI at the edge) and paths (prefix or `~` regex), tried in a fixed order of
 * specificity. A route whose protocols exclude the request's scheme still matches, so that the proxy
 * can answer Kong's 426 or redirect. Kong's full priority rules and the indexes that
 * keep matching sub-linear come with the complete router.
 */

type HostMatcher = (host: string, port: number) => boolean;

type Candidate = {
  route: ExportedRoute;
  /** SNIs the route asks for; a request without TLS has none. */
  snis: Set<string> | undefined;
  service: ExportedService | undefined;
  hosts: HostMatcher[];
  methods: Set<string> | undefined;
  headers: Array<[string, Set<string>]>;
  /** Undefined when the route has no paths. */
  path: { prefix: string } | { regex: RegExp; source: string } | undefined;
  weight: number;
};

function hostMatcher(pattern: string): HostMatcher {
  const [name = "", portText] = pattern.toLowerCase().split(/:(?=\d+$)/);
  const port = portText === undefined ? undefined : Number(portText);
  const portOk = (p: number) => port === undefined || port === p;
  if (name.startsWith("*.")) {
    const suffix = name.slice(1);
    return (h, p) => portOk(p) && h.endsWith(suffix) && h.length > suffix.length;
  }
  if (name.endsWith(".*")) {
    const prefix = name.slice(0, -1);
    return (h, p) => portOk(p) && h.startsWith(prefix) && h.length > prefix.length;
  }
  return (h, p) => portOk(p) && h === name;
}

function candidates(route: ExportedRoute, service: ExportedService | undefined): Candidate[] {
  const hosts = (route.hosts ?? []).map(hostMatcher);
  const methods = route.methods?.length ? new Set(route.methods) : undefined;
  const headers = Object.entries(route.headers ?? {}).map(([name, values]): [string, Set<string>] => [
    name.toLowerCase(),
    new Set(values.map((v) => v.toLowerCase())),
  ]);
  const snis = route.snis?.length ? new Set(route.snis.map((s) => s.toLowerCase())) : undefined;
  const weight = (hosts.length ? 4 : 0) + (headers.length ? 2 : 0) + (methods ? 1 : 0) + (snis ? 1 : 0);
  const base = { route, service, snis, hosts, methods, headers };
  if (!route.paths?.length) return [{ ...base, path: undefined, weight }];
  return route.paths.map((p) => ({
    ...base,
    path: p.startsWith("~") ? { regex: new RegExp(`^(?:${p.slice(1)})`), source: p } : { prefix: p },
    weight: weight + 8,
  }));
}

/** Specific before general: more attributes first, then regexes by priority, then longer prefixes. */
function order(a: Candidate, b: Candidate): number {
  if (a.weight !== b.weight) return b.weight - a.weight;
  const ar = a.path && "regex" in a.path;
  const br = b.path && "regex" in b.path;
  if (ar !== br) return ar ? -1 : 1;
  if (ar && br && a.route.regex_priority !== b.route.regex_priority) {
    return b.route.regex_priority - a.route.regex_priority;
  }
  const al = a.path && "prefix" in a.path ? a.path.prefix.length : 0;
  const bl = b.path && "prefix" in b.path ? b.path.prefix.length : 0;
  if (al !== bl) return bl - al;
  if (a.route.created_at !== b.route.created_at) return a.route.created_at - b.route.created_at;
  return a.route.id < b.route.id ? -1 : a.route.id > b.route.id ? 1 : 0;
}

function matchPath(c: Candidate, path: string): string | undefined | false {
  if (!c.path) return undefined;
  if ("prefix" in c.path) return path.startsWith(c.path.prefix) ? c.path.prefix : false;
  const m = c.path.regex.exec(path);
  return m ? m[0] : false;
}

/** Routes an HTTP data plane serves: those for http or https (stream and gRPC routes are not). */
const isHttpRoute = (r: ExportedRoute) => r.protocols.some((p) => p === "http" || p === "https");

export function compileSimpleRouter(config: DeclarativeConfig): Router {
  const services = new Map((config.services ?? []).map((s) => [s.id, s]));
  const list = (config.routes ?? [])
    .filter(isHttpRoute)
    .flatMap((r) => candidates(r, r.service ? services.get(r.service) : undefined))
    .sort(order);
  return {
    match(req: RouterRequest): RouteMatch | undefined {
      for (const c of list) {
        if (c.snis && (req.scheme !== "https" || !c.snis.has(req.host))) continue;
        if (c.methods && !c.methods.has(req.method)) continue;
        if (c.hosts.length && !c.hosts.some((h) => h(req.host, req.port))) continue;
        if (c.headers.some(([name, values]) => !values.has((req.headers.get(name) ?? "").toLowerCase())))
          continue;
        const matched = matchPath(c, req.path);
        if (matched === false) continue;
        return { route: c.route, service: c.service, matchedPath: matched };
      }
      return undefined;
    },
  };
}
