import { conditional, distinct, oneOf, required } from "../schema/checks";
import type { EntitySchema, Field, RecordField } from "../schema/types";
import { normalizeIp } from "../util/host";
import * as t from "./typedefs";

const HASH_ON = ["none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"] as const;

const validateName = (name: string): string | undefined => {
  const r = normalizeIp(name);
  if (typeof r === "string") return `Invalid name ('${name}'); must be a valid hostname`;
  if (r.type !== "name") return `Invalid name ('${name}'); no ip addresses allowed`;
  if (r.port !== undefined) return `Invalid name ('${name}'); no port allowed`;
  return undefined;
};

const statuses = (def: number[]): Field => ({
  type: "array",
  default: def,
  elements: { type: "integer", between: [100, 999] },
});
const counter = (): Field => ({ type: "integer", default: 0, between: [0, 255] });
const seconds = (def: number): Field => ({ type: "number", default: def, between: [0, 65535] });
const record = (fields: Record<string, Field>): RecordField => ({ type: "record", default: {}, fields });
const checkType = (): Field => ({
  type: "string",
  default: "http",
  oneOf: ["tcp", "http", "https", "grpc", "grpcs"],
});

/** Kong's healthchecks record, every default filled in as Kong returns it. */
const healthchecks = record({
  active: record({
    type: checkType(),
    timeout: seconds(1),
    concurrency: { type: "integer", default: 10, between: [1, 2 ** 31] },
    http_path: { ...t.path(), default: "/" },
    https_sni: t.host(),
    https_verify_certificate: { type: "boolean", required: true, default: true },
    headers: { type: "map", keys: t.headerName(), values: { type: "array", elements: { type: "string" } } },
    healthy: record({ interval: seconds(0), http_statuses: statuses([200, 302]), successes: counter() }),
    unhealthy: record({
      interval: seconds(0),
      http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
      tcp_failures: counter(),
      timeouts: counter(),
      http_failures: counter(),
    }),
  }),
  passive: record({
    type: checkType(),
    healthy: record({
      http_statuses: statuses([
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
      ]),
      successes: counter(),
    }),
    unhealthy: record({
      http_statuses: statuses([429, 500, 503]),
      tcp_failures: counter(),
      timeouts: counter(),
      http_failures: counter(),
    }),
  }),
  threshold: { type: "number", default: 0, between: [0, 100] },
});

const is = (value: string) => (v: unknown) => v === value;
const fallbackFor: Record<string, readonly string[]> = {
  none: ["none"],
  cookie: ["none"],
  consumer: ["none", "ip", "header", "cookie", "path", "query_arg", "uri_capture"],
  ip: ["none", "consumer", "header", "cookie", "path", "query_arg", "uri_capture"],
  path: ["none", "consumer", "header", "cookie", "query_arg", "ip", "uri_capture"],
};

export const upstreamsSchema: EntitySchema = {
  name: "upstreams",
  endpointKey: "name",
  fields: {
    id: t.uuid(),
    created_at: t.timestamp(),
    updated_at: t.timestamp(),
    name: { type: "string", required: true, check: validateName },
    algorithm: {
      type: "string",
      default: "round-robin",
      oneOf: ["consistent-hashing", "least-connections", "round-robin", "latency"],
    },
    hash_on: { type: "string", default: "none", oneOf: HASH_ON },
    hash_fallback: { type: "string", default: "none", oneOf: HASH_ON },
    hash_on_header: t.headerName(),
    hash_fallback_header: t.headerName(),
    hash_on_cookie: { type: "string" },
    hash_on_cookie_path: { ...t.path(), default: "/" },
    hash_on_query_arg: { type: "string" },
    hash_fallback_query_arg: { type: "string" },
    hash_on_uri_capture: { type: "string" },
    hash_fallback_uri_capture: { type: "string" },
    slots: { type: "integer", default: 10000, between: [10, 2 ** 16] },
    healthchecks,
    tags: t.tags(),
    host_header: {
      type: "string",
      check: (h) => (typeof normalizeIp(h) === "string" ? `invalid value: ${h}` : undefined),
    },
    client_certificate: { type: "foreign", reference: "certificates" },
    use_srv_name: { type: "boolean", default: false },
  },
  // Kong's shorthands: `hash_on` picks the algorithm, and least-connections/latency clear `hash_on`
  normalizeInput: (input) => {
    const out = { ...input };
    if (out.algorithm === "least-connections" || out.algorithm === "latency") out.hash_on = "none";
    if (typeof out.hash_on === "string" && (out.algorithm === undefined || "hash_on" in input)) {
      if (out.hash_on === "none") {
        if (out.algorithm !== "least-connections" && out.algorithm !== "latency")
          out.algorithm = "round-robin";
      } else {
        out.algorithm = "consistent-hashing";
      }
    }
    if (out.hash_on === null) out.hash_on = "none";
    return out;
  },
  checks: [
    conditional("hash_on", is("header"), "hash_on_header", required),
    conditional("hash_fallback", is("header"), "hash_fallback_header", required),
    conditional("hash_on", is("cookie"), "hash_on_cookie", required),
    conditional("hash_fallback", is("cookie"), "hash_on_cookie", required),
    ...Object.entries(fallbackFor).map(([on, allowed]) =>
      conditional("hash_on", is(on), "hash_fallback", oneOf(allowed)),
    ),
    distinct("hash_on_header", "hash_fallback_header"),
    conditional("hash_on", is("query_arg"), "hash_on_query_arg", required),
    conditional("hash_fallback", is("query_arg"), "hash_fallback_query_arg", required),
    distinct("hash_on_query_arg", "hash_fallback_query_arg"),
    conditional("hash_on", is("uri_capture"), "hash_on_uri_capture", required),
    conditional("hash_fallback", is("uri_capture"), "hash_fallback_uri_capture", required),
    distinct("hash_on_uri_capture", "hash_fallback_uri_capture"),
  ],
};

/**
 * A target as Kong stores it: `host:port` with the port defaulting to 8000, IPv4 without leading
 * zeros, IPv6 expanded and bracketed. Undefined when the value is not a host or address.
 */
export function normalizeTarget(target: string): string | undefined {
  const r = normalizeIp(target);
  if (typeof r === "string") return undefined;
  const host = r.type === "ipv6" ? `[${r.host}]` : r.host;
  return `${host}:${r.port ?? 8000}`;
}

export const targetsSchema: EntitySchema = {
  name: "targets",
  endpointKey: "target",
  fields: {
    id: t.uuid(),
    created_at: { type: "number" },
    updated_at: { type: "number" },
    upstream: { type: "foreign", reference: "upstreams", required: true },
    target: {
      type: "string",
      required: true,
      check: (v) =>
        normalizeTarget(v) ? undefined : `Invalid target ('${v}'); not a valid hostname or ip address`,
    },
    weight: { type: "integer", default: 100, between: [0, 65535] },
    tags: t.tags(),
  },
  normalizeInput: (input) =>
    typeof input.target === "string" && normalizeTarget(input.target)
      ? { ...input, target: normalizeTarget(input.target) }
      : input,
};
