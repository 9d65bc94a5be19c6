import { headerName, ipOrCidr } from "../entities/typedefs";
import { atLeastOneOf, conditional, onlyOneOf } from "../schema/checks";
import type { Field } from "../schema/types";
import { KONG_VERSION } from "../version";
import type { PluginDefinition } from "./types";

/*
 * The config schemas of the plugins Lintel knows, with Kong's field names and defaults
 * (kong/plugins/<name>/schema.lua). A plugin not listed here is refused as Kong refuses one that is
 * not enabled.
 */

const str = (extra: Partial<Field> = {}): Field => ({ type: "string", ...extra }) as Field;
const bool = (def: boolean): Field => ({ type: "boolean", required: true, default: def });
const strings = (def: string[] | null = null, type: "array" | "set" = "array"): Field => ({
  type,
  default: def,
  elements: { type: "string" },
});

const anonymous = str();

/** Kong's `is_regex` strings (checked as JavaScript reads them). */
const regexes = (): Field => ({
  type: "array",
  required: true,
  default: [],
  elements: {
    type: "string",
    check: (value) => {
      try {
        new RegExp(value);
        return undefined;
      } catch {
        return `not a valid regex: ${value}`;
      }
    },
  },
});

/** The `key:value` entries of the transformer plugins (Kong refuses an entry without a value). */
const colonEntries = (): Field => ({
  type: "array",
  required: true,
  default: [],
  elements: {
    type: "string",
    check: (entry) => {
      const m = /^([^:]+):*(.*)$/.exec(entry);
      return m && m[2] !== "" ? undefined : `key '${m?.[1] ?? entry}' has no value`;
    },
  },
});

function transformRecord(parts: string[], colon: boolean, extra: Record<string, Field> = {}): Field {
  const fields: Record<string, Field> = {};
  for (const p of parts)
    fields[p] = colon
      ? colonEntries()
      : { type: "array", required: true, default: [], elements: { type: "string" } };
  return { type: "record", default: {}, fields: { ...fields, ...extra } };
}

const jsonTypes = (): Field => ({
  type: "array",
  required: true,
  default: [],
  elements: { type: "string", oneOf: ["boolean", "number", "string"] },
});
const positive = (): Field => ({
  type: "number",
  check: (v) => (v > 0 ? undefined : "value must be greater than 0"),
});

export const PLUGINS: readonly PluginDefinition[] = [
  {
    name: "key-auth",
    version: KONG_VERSION,
    priority: 1250,
    noConsumer: true,
    config: {
      key_names: { type: "array", required: true, default: ["apikey"], elements: headerName() },
      hide_credentials: bool(false),
      anonymous,
      key_in_header: bool(true),
      key_in_query: bool(true),
      key_in_body: bool(false),
      run_on_preflight: bool(true),
      realm: str(),
    },
  },
  {
    name: "basic-auth",
    version: KONG_VERSION,
    priority: 1100,
    noConsumer: true,
    config: { anonymous, hide_credentials: bool(false), realm: str({ required: true, default: "service" }) },
  },
  {
    name: "jwt",
    version: KONG_VERSION,
    priority: 1450,
    noConsumer: true,
    config: {
      uri_param_names: strings(["jwt"], "set"),
      cookie_names: strings([], "set"),
      key_claim_name: str({ default: "iss" }),
      secret_is_base64: bool(false),
      claims_to_verify: { type: "set", elements: { type: "string", oneOf: ["exp", "nbf"] } },
      anonymous,
      run_on_preflight: bool(true),
      maximum_expiration: { type: "number", default: 0, between: [0, 31536000] },
      header_names: strings(["authorization"], "set"),
      realm: str(),
    },
    checks: [
      conditional(
        "config.maximum_expiration",
        (v) => typeof v === "number" && v > 0,
        "config.claims_to_verify",
        (v) => (Array.isArray(v) && v.includes("exp") ? undefined : "expected to contain: exp"),
      ),
    ],
  },
  {
    // Kong Enterprise's mtls-auth: the client certificate, verified against CA certificates
    name: "mtls-auth",
    version: KONG_VERSION,
    priority: 1600,
    noConsumer: true,
    config: {
      anonymous,
      consumer_by: {
        type: "set",
        default: ["username", "custom_id"],
        elements: { type: "string", oneOf: ["username", "custom_id"] },
      },
      ca_certificates: {
        type: "array",
        required: true,
        elements: {
          type: "string",
          check: (id) =>
            /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
              ? undefined
              : "expected a valid UUID",
        },
      },
      cache_ttl: { type: "number", default: 60 },
      skip_consumer_lookup: bool(false),
      allow_partial_chain: bool(false),
      authenticated_group_by: { type: "string", default: "CN", oneOf: ["CN", "DN"] },
      revocation_check_mode: {
        type: "string",
        default: "IGNORE_CA_ERROR",
        oneOf: ["SKIP", "IGNORE_CA_ERROR", "STRICT"],
      },
      http_timeout: { type: "number", default: 30000 },
      cert_cache_ttl: { type: "number", default: 60000 },
      send_ca_dn: bool(false),
      default_consumer: str(),
      http_proxy_host: str(),
      http_proxy_port: { type: "integer", between: [0, 65535] },
      https_proxy_host: str(),
      https_proxy_port: { type: "integer", between: [0, 65535] },
    },
  },
  {
    name: "acl",
    version: KONG_VERSION,
    priority: 950,
    noConsumer: true,
    config: {
      allow: strings(),
      deny: strings(),
      hide_groups_header: bool(false),
      always_use_authenticated_groups: bool(false),
    },
    checks: [onlyOneOf("config.allow", "config.deny"), atLeastOneOf("config.allow", "config.deny")],
  },
  {
    name: "cors",
    version: KONG_VERSION,
    priority: 2000,
    config: {
      origins: strings(),
      headers: strings(),
      exposed_headers: strings(),
      methods: {
        type: "array",
        default: ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"],
        elements: {
          type: "string",
          oneOf: ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"],
        },
      },
      max_age: { type: "number" },
      credentials: bool(false),
      private_network: bool(false),
      preflight_continue: bool(false),
    },
  },
  {
    name: "rate-limiting",
    version: KONG_VERSION,
    priority: 910,
    config: {
      second: positive(),
      minute: positive(),
      hour: positive(),
      day: positive(),
      month: positive(),
      year: positive(),
      limit_by: {
        type: "string",
        default: "consumer",
        oneOf: ["consumer", "credential", "ip", "service", "header", "path", "consumer-group"],
      },
      header_name: headerName(),
      path: str(),
      policy: { type: "string", default: "local", oneOf: ["local", "cluster", "redis"] },
      fault_tolerant: bool(true),
      hide_client_headers: bool(false),
      error_code: { type: "number", default: 429, between: [0, 999] },
      error_message: str({ default: "API rate limit exceeded" }),
      sync_rate: { type: "number", default: -1 },
    },
    checks: [
      atLeastOneOf(
        "config.second",
        "config.minute",
        "config.hour",
        "config.day",
        "config.month",
        "config.year",
      ),
      conditional(
        "config.limit_by",
        (v) => v === "header",
        "config.header_name",
        (v) => (v === null || v === undefined ? "required field missing" : undefined),
      ),
      conditional(
        "config.limit_by",
        (v) => v === "path",
        "config.path",
        (v) => (v === null || v === undefined ? "required field missing" : undefined),
      ),
    ],
  },
  {
    name: "ip-restriction",
    version: KONG_VERSION,
    priority: 990,
    config: {
      allow: { type: "array", elements: ipOrCidr() },
      deny: { type: "array", elements: ipOrCidr() },
      status: { type: "number" },
      message: str(),
    },
    checks: [atLeastOneOf("config.allow", "config.deny")],
  },
  {
    name: "request-termination",
    version: KONG_VERSION,
    priority: 2,
    config: {
      status_code: { type: "integer", required: true, default: 503, between: [100, 599] },
      message: str(),
      content_type: str(),
      body: str(),
      echo: bool(false),
      trigger: str(),
    },
  },
  {
    name: "correlation-id",
    version: KONG_VERSION,
    priority: 100001,
    config: {
      header_name: str({ default: "Kong-Request-ID" }),
      generator: {
        type: "string",
        required: true,
        default: "uuid#counter",
        oneOf: ["uuid", "uuid#counter", "tracker"],
      },
      echo_downstream: bool(false),
    },
  },
  {
    name: "request-size-limiting",
    version: KONG_VERSION,
    priority: 951,
    config: {
      allowed_payload_size: { type: "integer", default: 128 },
      size_unit: {
        type: "string",
        required: true,
        default: "megabytes",
        oneOf: ["megabytes", "kilobytes", "bytes"],
      },
      require_content_length: bool(false),
    },
  },
  {
    name: "bot-detection",
    version: KONG_VERSION,
    priority: 2500,
    noConsumer: true,
    config: { allow: regexes(), deny: regexes() },
  },
  {
    name: "prometheus",
    version: KONG_VERSION,
    priority: 13,
    config: {
      per_consumer: bool(false),
      status_code_metrics: bool(false),
      latency_metrics: bool(false),
      bandwidth_metrics: bool(false),
      upstream_health_metrics: bool(false),
    },
  },
  {
    name: "request-transformer",
    version: KONG_VERSION,
    priority: 801,
    config: {
      http_method: { type: "string", check: (m) => (/^[A-Z]+$/.test(m) ? undefined : `invalid value: ${m}`) },
      remove: transformRecord(["body", "headers", "querystring"], false),
      rename: transformRecord(["body", "headers", "querystring"], true),
      replace: transformRecord(["body", "headers", "querystring"], true, { uri: str() }),
      add: transformRecord(["body", "headers", "querystring"], true),
      append: transformRecord(["body", "headers", "querystring"], true),
    },
  },
  {
    name: "response-transformer",
    version: KONG_VERSION,
    priority: 800,
    config: {
      remove: transformRecord(["json", "headers"], false),
      rename: transformRecord(["json", "headers"], true),
      replace: transformRecord(["json", "headers"], true, { json_types: jsonTypes() }),
      add: transformRecord(["json", "headers"], true, { json_types: jsonTypes() }),
      append: transformRecord(["json", "headers"], true, { json_types: jsonTypes() }),
    },
  },
  {
    name: "proxy-cache",
    version: KONG_VERSION,
    priority: 100,
    config: {
      response_code: {
        type: "array",
        required: true,
        default: [200, 301, 404],
        lenMin: 1,
        elements: { type: "integer", between: [100, 900] },
      },
      request_method: {
        type: "array",
        required: true,
        default: ["GET", "HEAD"],
        elements: { type: "string", oneOf: ["HEAD", "GET", "POST", "PATCH", "PUT"] },
      },
      content_type: {
        type: "array",
        required: true,
        default: ["text/plain", "application/json"],
        elements: { type: "string" },
      },
      cache_ttl: {
        type: "number",
        default: 300,
        check: (v) => (v > 0 ? undefined : "value must be greater than 0"),
      },
      strategy: { type: "string", required: true, oneOf: ["memory"] },
      cache_control: bool(false),
      ignore_uri_case: { type: "boolean", default: false },
      storage_ttl: { type: "integer" },
      memory: {
        type: "record",
        default: {},
        fields: { dictionary_name: str({ required: true, default: "kong_db_cache" }) },
      },
      vary_query_params: strings(),
      vary_headers: strings(),
      response_headers: {
        type: "record",
        default: {},
        fields: {
          age: { type: "boolean", default: true },
          "X-Cache-Status": { type: "boolean", default: true },
          "X-Cache-Key": { type: "boolean", default: true },
        },
      },
    },
  },
  {
    name: "http-log",
    version: KONG_VERSION,
    priority: 12,
    config: {
      http_endpoint: {
        type: "string",
        required: true,
        check: (u) => (/^https?:\/\/[^/\s]+/i.test(u) ? undefined : "missing host in url"),
      },
      method: { type: "string", default: "POST", oneOf: ["POST", "PUT", "PATCH"] },
      content_type: {
        type: "string",
        default: "application/json",
        oneOf: ["application/json", "application/json; charset=utf-8"],
      },
      timeout: { type: "number", default: 10000 },
      keepalive: { type: "number", default: 60000 },
      retry_count: { type: "integer" },
      queue_size: { type: "integer" },
      flush_timeout: { type: "number" },
      headers: { type: "map", keys: headerName(), values: { type: "string" } },
      queue: {
        type: "record",
        default: {},
        fields: {
          max_batch_size: { type: "integer", default: 1, between: [1, 1000000] },
          max_coalescing_delay: { type: "number", default: 1, between: [0, 3600] },
          max_entries: { type: "integer", default: 10000, between: [1, 1000000] },
          max_bytes: { type: "integer" },
          max_retry_time: { type: "number", default: 60 },
          initial_retry_delay: { type: "number", default: 0.01, between: [0.001, 1000000] },
          max_retry_delay: { type: "number", default: 60, between: [0.001, 1000000] },
          concurrency_limit: { type: "integer", default: 1, oneOf: [-1, 1] },
        },
      },
      custom_fields_by_lua: { type: "map", keys: { type: "string" }, values: { type: "string" } },
    },
  },
];

const BY_NAME = new Map(PLUGINS.map((p) => [p.name, p]));

export const pluginDefinition = (name: string): PluginDefinition | undefined => BY_NAME.get(name);
