import { translateRegex } from "../router/regex";
import type { EntitySchema, FieldErrors } from "../schema/types";
import { isEmpty } from "../schema/validate";
import * as t from "./typedefs";

export type Route = {
  id: string;
  created_at: number;
  updated_at: number;
  name: string | null;
  protocols: string[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  headers: Record<string, string[]> | null;
  https_redirect_status_code: number;
  regex_priority: number;
  strip_path: boolean;
  path_handling: string;
  preserve_host: boolean;
  request_buffering: boolean;
  response_buffering: boolean;
  snis: string[] | null;
  sources: Array<{ ip?: string; port?: number }> | null;
  destinations: Array<{ ip?: string; port?: number }> | null;
  tags: string[] | null;
  service: { id: string } | null;
};

const SUBSETS = [["http", "https"], ["tcp", "tls", "udp"], ["tls_passthrough"], ["grpc", "grpcs"]];

const endpoint = () => ({
  type: "array" as const,
  elements: {
    type: "record" as const,
    fields: { ip: t.ipOrCidr(), port: t.port() },
    recordCheck: (r: Record<string, unknown>) =>
      isEmpty(r.ip) && isEmpty(r.port)
        ? "at least one of these fields must be non-empty: 'ip', 'port'"
        : undefined,
  },
});

const quoted = (fields: string[]) => fields.map((f) => `'${f}'`).join(", ");

/** The rules of Kong's route subschemas (routes_subschemas.lua), by protocol family. */
function protocolRules(e: Record<string, unknown>): FieldErrors | undefined {
  const protocols = (e.protocols as string[]) ?? [];
  const has = (p: string) => protocols.includes(p);
  const errors: FieldErrors = {};
  const notAllowed = (fields: string[], err: string) => {
    for (const f of fields) if (!isEmpty(e[f])) errors[f] = err;
  };
  const atLeastOne = (fields: string[], err: string) => {
    if (fields.every((f) => isEmpty(e[f]))) errors["@entity"] = [err.replace("%s", quoted(fields))];
  };
  if (has("http") || has("https")) {
    notAllowed(["sources"], "cannot set 'sources' when 'protocols' is 'http' or 'https'");
    notAllowed(["destinations"], "cannot set 'destinations' when 'protocols' is 'http' or 'https'");
    if (has("https")) {
      atLeastOne(
        ["methods", "hosts", "headers", "paths", "snis"],
        "must set one of %s when 'protocols' is 'https'",
      );
    } else {
      atLeastOne(["methods", "hosts", "headers", "paths"], "must set one of %s when 'protocols' is 'http'");
    }
  } else if (has("grpc") || has("grpcs")) {
    if (e.strip_path === true)
      errors.strip_path = "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'";
    notAllowed(["methods"], "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'");
    notAllowed(["sources"], "cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'");
    notAllowed(["destinations"], "cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'");
    if (has("grpcs")) {
      atLeastOne(["hosts", "headers", "paths", "snis"], "must set one of %s when 'protocols' is 'grpcs'");
    } else {
      atLeastOne(["hosts", "headers", "paths"], "must set one of %s when 'protocols' is 'grpc'");
    }
  } else {
    const msg = "cannot set '%f' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'";
    for (const f of ["methods", "hosts", "paths", "headers"]) notAllowed([f], msg.replace("%f", f));
    if (has("tls_passthrough")) {
      if (isEmpty(e.snis)) errors["@entity"] = ["must set snis when 'protocols' is 'tls_passthrough'"];
    } else {
      atLeastOne(
        ["sources", "destinations", "snis"],
        "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
      );
    }
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

function snisOnlyWithTls(e: Record<string, unknown>): FieldErrors | undefined {
  const protocols = (e.protocols as string[]) ?? [];
  if (isEmpty(e.snis) || protocols.some((p) => ["grpcs", "https", "tls", "tls_passthrough"].includes(p))) {
    return undefined;
  }
  return {
    "@entity": ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"],
    snis: "length must be 0",
  } as FieldErrors;
}

/**
 * Kong's traditional_compatible router compiles every path regex and `~*` header value with Rust's
 * regex crate and refuses the route when one does not compile ("Router Expression failed
 * validation"). Lintel's router runs them with JavaScript: a pattern the two would read
 * differently is refused the same way, with the reason.
 */
function regexesRunAsKong(e: Record<string, unknown>): FieldErrors | undefined {
  const problems: string[] = [];
  for (const p of (e.paths as string[] | null) ?? []) {
    if (typeof p !== "string" || !p.startsWith("~")) continue;
    const js = translateRegex(p.slice(1));
    if (!js.ok) problems.push(`path '${p}': ${js.error}`);
  }
  for (const [name, values] of Object.entries((e.headers as Record<string, unknown> | null) ?? {})) {
    for (const v of Array.isArray(values) ? values : []) {
      if (typeof v !== "string" || !v.startsWith("~*")) continue;
      const js = translateRegex(v.slice(2).toLowerCase());
      if (!js.ok) problems.push(`header '${name}' value '${v}': ${js.error}`);
    }
  }
  if (!problems.length) return undefined;
  return { "@entity": problems.map((p) => `Router Expression failed validation: ${p}`) };
}

export const routesSchema: EntitySchema = {
  name: "routes",
  endpointKey: "name",
  fields: {
    ...t.namedEntityFields(),
    protocols: {
      type: "set",
      lenMin: 1,
      required: true,
      elements: t.protocol(),
      default: ["http", "https"],
      check: (ps) => {
        const groups = new Set(
          (ps as string[]).map((p) => SUBSETS.findIndex((s) => s.includes(p))).filter((i) => i >= 0),
        );
        if (groups.size <= 1) return undefined;
        const sets = SUBSETS.filter((_, i) => groups.has(i))
          .map((s) => `(${s.map((p) => `'${p}'`).join(", ")})`)
          .join(", ");
        return `these sets are mutually exclusive: ${sets}`;
      },
    },
    https_redirect_status_code: {
      type: "integer",
      oneOf: [426, 301, 302, 307, 308],
      default: 426,
      required: true,
    },
    strip_path: { type: "boolean", required: true, default: true },
    preserve_host: { type: "boolean", required: true, default: false },
    request_buffering: { type: "boolean", required: true, default: true },
    response_buffering: { type: "boolean", required: true, default: true },
    tags: t.tags(),
    service: { type: "foreign", reference: "services" },
    snis: { type: "set", elements: t.wildcardHost() },
    sources: endpoint(),
    destinations: endpoint(),
    methods: t.methods(),
    hosts: t.hosts(),
    paths: t.routerPaths(),
    headers: { type: "map", keys: t.headerName(), values: { type: "array", elements: { type: "string" } } },
    regex_priority: { type: "integer", default: 0 },
    path_handling: { type: "string", default: "v0", oneOf: ["v0", "v1"] },
  },
  // The grpc subschema defaults strip_path to false
  normalizeInput: (input, mode) =>
    mode === "insert" &&
    input.strip_path === undefined &&
    Array.isArray(input.protocols) &&
    input.protocols.some((p) => p === "grpc" || p === "grpcs")
      ? { ...input, strip_path: false }
      : input,
  checks: [snisOnlyWithTls, protocolRules, regexesRunAsKong],
};
