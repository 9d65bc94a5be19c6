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
    config: { allow: strings([]), deny: strings([]) },
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
];

const BY_NAME = new Map(PLUGINS.map((p) => [p.name, p]));

export const pluginDefinition = (name: string): PluginDefinition | undefined => BY_NAME.get(name);
