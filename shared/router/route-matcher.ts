import type { ExportedRoute, ExportedService } from "../declarative/config";
import { utf8 } from "../util/bytes";
import { uuidV5 } from "../util/uuid-v5";
import { kongPriority, orderKey } from "./priority";
import { routePathRegex, translateRegex } from "./regex";

/*
 * A route as Kong's `traditional_compatible` router sees it (kong/router/transform.lua): one
 * matcher, or one per path group when its paths differ in kind or length, each with Kong's
 * priority. Protocols take no part in matching; the proxy answers a scheme the route does not
 * allow with 426 or a redirect.
 */

/** Kong's namespace for the ids of a split route's path groups. */
const SPLIT_NAMESPACE = "7f145bf9-0dce-4f91-98eb-debbce4b9f6b";

export type HostTest = { exact?: string; suffix?: string; prefix?: string; port?: number };
/** A prefix path, or a regex with the literal text every match of it starts with. */
export type PathTest = { prefix: string } | { regex: RegExp; literal: string };
type HeaderTest = { names: string[]; values: string[]; regexes: RegExp[] };
type SniTest = { exact?: string; suffix?: string; prefix?: string };

export type Matcher = {
  route: ExportedRoute;
  service: ExportedService | undefined;
  /** The route's id, or the id Kong gives one of its path groups: breaks priority ties. */
  id: string;
  priority: bigint;
  /** The priority as two exact numbers, for sorting. */
  high: number;
  low: number;
  hosts: HostTest[] | undefined;
  methods: Set<string> | undefined;
  headers: HeaderTest[];
  snis: SniTest[] | undefined;
  paths: PathTest[] | undefined;
};

/** The request as the matchers read it (the path is read apart, as UTF-8 text). */
export type MatchInput = {
  method: string;
  host: string;
  port: number;
  scheme: "http" | "https";
  sni?: string;
  headers: { get(name: string): string | null };
};

export type PathMatch = {
  /** The route prefix, or the regex match's text; undefined for a matcher without paths. */
  matched: string | undefined;
  /** Kong's `uri_captures`: numbered and named groups, when the regex has any. */
  captures: Record<string, string> | undefined;
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is the fast case
const ASCII = /^[\x00-\x7f]*$/;
/** Lua's `#s`: the length in bytes. */
const byteLength = (s: string): number => (ASCII.test(s) ? s.length : utf8.encode(s).length);
/** Kong's "non-empty field": a list with entries, a map with keys. */
const isSet = (v: unknown): boolean =>
  Array.isArray(v) ? v.length > 0 : typeof v === "object" && v !== null ? Object.keys(v).length > 0 : false;

/** Kong's `split_host_port`: split at the first `:`, when what follows is a number. */
function hostTest(host: string): HostTest {
  const colon = host.indexOf(":");
  const port = colon > 0 ? Number(host.slice(colon + 1)) : Number.NaN;
  const name =
    colon > 0 && Number.isInteger(port) && host.slice(colon + 1) !== "" ? host.slice(0, colon) : host;
  const withPort = name === host ? {} : { port };
  if (name.startsWith("*")) return { suffix: name.slice(1), ...withPort };
  if (name.endsWith("*")) return { prefix: name.slice(0, -1), ...withPort };
  return { exact: name, ...withPort };
}

function sniTest(sni: string): SniTest {
  if (sni.endsWith("*")) return { prefix: sni.slice(0, -1) };
  const name = sni.endsWith(".") ? sni.slice(0, -1) : sni;
  if (name.startsWith("*")) return { suffix: name.slice(1) };
  return { exact: name };
}

function headerTests(headers: Record<string, string[]> | null): HeaderTest[] {
  return Object.entries(headers ?? {}).map(([name, values]) => {
    const lower = name.toLowerCase();
    const plain: string[] = [];
    const regexes: RegExp[] = [];
    for (const v of values) {
      if (v.startsWith("~*")) {
        const js = translateRegex(v.slice(2).toLowerCase());
        if (js.ok) regexes.push(new RegExp(js.value));
      } else {
        plain.push(v.toLowerCase());
      }
    }
    // Kong looks a name up with `_` and `-` alike
    const names = [...new Set([lower.replaceAll("_", "-"), lower.replaceAll("-", "_")])];
    return { names, values: plain, regexes };
  });
}

/** Kong's path groups: all regexes together, prefixes by byte length, in order of appearance. */
function pathGroups(paths: string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const p of paths) {
    const key = p.startsWith("~") ? 0 : byteLength(p);
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  return [...groups.values()];
}

/** The matchers of one route, each with Kong's priority and tie-breaking id. */
export function routeMatchers(route: ExportedRoute, service: ExportedService | undefined): Matcher[] {
  const paths = route.paths ?? [];
  const groups = paths.length >= 2 ? pathGroups(paths) : [paths];
  const split = groups.length > 1;
  const hosts = route.hosts?.length ? route.hosts.map(hostTest) : undefined;
  const methods = route.methods?.length ? new Set(route.methods) : undefined;
  const headers = headerTests(route.headers);
  const snis = route.snis?.length ? route.snis.map(sniTest) : undefined;
  const baseWeight = [
    route.sources,
    route.destinations,
    route.methods,
    route.hosts,
    route.headers,
    route.snis,
  ].filter(isSet).length;
  const plainHostsOnly = Array.isArray(route.hosts) && route.hosts.every((h) => !h.includes("*"));
  return groups.map((group, i) => {
    const first = group[0];
    const regex = first?.startsWith("~") ?? false;
    const id = split ? uuidV5(SPLIT_NAMESPACE, `${route.id}#${i + 1}`) : route.id;
    const priority = kongPriority({
      weight: baseWeight + (group.length ? 1 : 0),
      headerCount: Object.keys(route.headers ?? {}).length,
      plainHostsOnly,
      regex,
      regexPriority: regex ? route.regex_priority : 0,
      prefixLength: first && !regex ? byteLength(first) : 0,
    });
    return {
      route,
      service,
      ...orderKey(priority, id),
      priority,
      hosts,
      methods,
      headers,
      snis,
      paths: group.length ? group.map(pathTest).filter((t): t is PathTest => t !== undefined) : undefined,
    };
  });
}

function pathTest(path: string): PathTest | undefined {
  if (!path.startsWith("~")) return { prefix: path };
  return routePathRegex(path.slice(1));
}

const hostMatches = (t: HostTest, host: string, port: number): boolean =>
  (t.port === undefined || t.port === port) &&
  (t.exact !== undefined
    ? host === t.exact
    : t.suffix !== undefined
      ? host.endsWith(t.suffix)
      : host.startsWith(t.prefix as string));

const sniMatches = (t: SniTest, sni: string): boolean =>
  t.exact !== undefined
    ? sni === t.exact
    : t.suffix !== undefined
      ? sni.endsWith(t.suffix)
      : sni.startsWith(t.prefix as string);

function headerMatches(t: HeaderTest, headers: MatchInput["headers"]): boolean {
  let value: string | null = null;
  for (const name of t.names) {
    value = headers.get(name);
    if (value !== null) break;
  }
  if (value === null) return false;
  // Kong tries each line of a repeated header; a runtime joins them with commas
  const lower = value.toLowerCase();
  const lines = lower.includes(",") ? [lower, ...lower.split(",").map((v) => v.trim())] : [lower];
  return lines.some((v) => t.values.includes(v) || t.regexes.some((r) => r.test(v)));
}

/** Everything but the path, in Kong's clause order. */
export function matchesExceptPath(m: Matcher, req: MatchInput): boolean {
  if (m.snis && req.scheme === "https" && !m.snis.some((t) => sniMatches(t, req.sni ?? req.host)))
    return false;
  if (m.methods && !m.methods.has(req.method)) return false;
  if (m.hosts && !m.hosts.some((t) => hostMatches(t, req.host, req.port))) return false;
  for (const h of m.headers) if (!headerMatches(h, req.headers)) return false;
  return true;
}

/** The path clause: the first of the matcher's paths that matches, with its captures. */
export function matchPath(m: Matcher, text: string): PathMatch | undefined {
  if (!m.paths) return { matched: undefined, captures: undefined };
  for (const t of m.paths) {
    if ("prefix" in t) {
      if (text.startsWith(t.prefix)) return { matched: t.prefix, captures: undefined };
      continue;
    }
    const found = t.regex.exec(text);
    if (!found) continue;
    return { matched: found[0], captures: captures(found) };
  }
  return undefined;
}

/** Kong's `uri_captures`: group 0, the numbered groups that took part and the named ones. */
function captures(found: RegExpExecArray): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  found.forEach((v, i) => {
    if (v !== undefined) out[String(i)] = v;
  });
  for (const [name, v] of Object.entries(found.groups ?? {})) if (v !== undefined) out[name] = v;
  return Object.keys(out).length >= 2 ? out : undefined;
}
