import { type Cidr, parseCidr } from "../util/cidr";
import { err, ok, type Result } from "../util/result";
import { type Listener, parseListen } from "./listen";

/**
 * The options Lintel reads, by their `kong.conf` names, with Kong's defaults and Kong's messages
 * for bad values. The same table serves the Node CLI (environment and `-c` file) and the edge-dp
 * Worker (its bindings).
 */

type Parser<T> = (name: string, value: string) => Result<T, string>;

const str: Parser<string> = (_n, v) => ok(v);
const optional: Parser<string | undefined> = (_n, v) =>
  ok(v === "" || v.toUpperCase() === "NONE" ? undefined : v);

const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (name, v) =>
    (values as string[]).includes(v)
      ? ok(v as T)
      : err(`${name} has an invalid value: '${v}' (${values.join(", ")})`);

/**
 * The largest `cluster_max_payload`. A snapshot travels in frames (a Worker refuses WebSocket
 * messages over 32 MiB), but a DP node holds it whole while it verifies it, stores it and indexes
 * its consumers, and may be receiving the next meanwhile: two of them in the 128 MB of its
 * Durable Object, with 32 MB left for the work.
 */
export const MAX_CLUSTER_PAYLOAD = 48 * 1024 * 1024;

const number =
  (min?: number, minMessage?: string, max?: [number, string]): Parser<number> =>
  (name, v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n)) return err(`${name} is not a number: '${v}'`);
    if (min !== undefined && n < min) return err(minMessage ?? `${name} must be ${min} or greater`);
    if (max && n > max[0]) return err(max[1]);
    return ok(n);
  };

const bool: Parser<boolean> = (name, v) => {
  if (v === "on" || v === "true") return ok(true);
  if (v === "off" || v === "false") return ok(false);
  return err(`${name} is not a boolean: '${v}'`);
};

const listen: Parser<Listener[]> = (name, v) => {
  const r = parseListen(name, v);
  return typeof r === "string" ? err(r) : ok(r);
};

/** `cluster_dp_labels`: `key:value` pairs, Kong's label rules. */
const labels: Parser<Record<string, string>> = (name, v) => {
  const out: Record<string, string> = {};
  if (v.trim() === "" || v.toUpperCase() === "NONE") return ok(out);
  for (const item of v.split(",").map((s) => s.trim())) {
    const at = item.indexOf(":");
    const key = item.slice(0, at);
    const value = item.slice(at + 1);
    if (at <= 0 || !/^[\w.~-]{1,63}$/.test(key) || !/^[\w.~ -]{1,63}$/.test(value) || key.startsWith("_")) {
      return err(`${name}: label '${item}' must be of form key:value with 1 to 63 characters each`);
    }
    out[key] = value;
  }
  return ok(out);
};

const HEADER_TOKENS = [
  "server_tokens",
  "latency_tokens",
  "via",
  "server",
  "x-kong-proxy-latency",
  "x-kong-response-latency",
  "x-kong-admin-latency",
  "x-kong-upstream-latency",
  "x-kong-upstream-status",
  "x-kong-request-id",
];

/** Kong's `headers` / `headers_upstream`: the header names enabled, the tokens expanded; `off` is none. */
const headerSet =
  (allowed: readonly string[]): Parser<Set<string>> =>
  (name, v) => {
    const tokens = v
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== "");
    const bad = tokens.find((t) => t !== "off" && !allowed.includes(t));
    if (bad !== undefined) return err(`${name}: invalid entry '${bad}'`);
    const out = new Set<string>();
    if (tokens[0] === "off") return ok(out);
    for (const t of tokens) {
      if (t === "off") continue;
      if (t === "server_tokens") for (const h of ["via", "server"]) out.add(h);
      else if (t === "latency_tokens")
        for (const h of [
          "x-kong-proxy-latency",
          "x-kong-response-latency",
          "x-kong-admin-latency",
          "x-kong-upstream-latency",
        ])
          out.add(h);
      else out.add(t);
    }
    return ok(out);
  };

/** Kong's `trusted_ips`: addresses and CIDR blocks whose X-Forwarded-* and real IP headers are believed. */
const trustedIps: Parser<Cidr[]> = (name, v) => {
  const out: Cidr[] = [];
  if (v.trim() === "" || v.toUpperCase() === "NONE") return ok(out);
  for (const item of v.split(",").map((x) => x.trim())) {
    if (item === "unix:") continue;
    const c = parseCidr(item);
    if (!c)
      return err(
        `${name} must be a comma separated list in the form of IPv4 or IPv6 address or CIDR block or 'unix:', got '${item}'`,
      );
    out.push(c);
  }
  return ok(out);
};

function option<T>(parse: Parser<T>, fallback: string) {
  return { parse, fallback };
}

export const OPTIONS = {
  role: option(oneOf("data_plane", "control_plane", "traditional"), "traditional"),
  prefix: option(str, ".lintel"),
  proxy_listen: option(listen, "0.0.0.0:8000"),
  admin_listen: option(listen, "127.0.0.1:8001"),
  /** Kong's Status API; for `lintel dp`, off unless set (several DPs share one machine). */
  status_listen: option(listen, "off"),
  /** Lintel: the token every Admin API request must carry (`Kong-Admin-Token`); without one the Admin API stays on loopback. */
  admin_token: option(optional, "NONE"),
  admin_ssl_cert: option(optional, "NONE"),
  admin_ssl_cert_key: option(optional, "NONE"),
  cluster_listen: option(listen, "0.0.0.0:8005"),
  cluster_control_plane: option(str, "127.0.0.1:8005"),
  cluster_mtls: option(oneOf("shared", "pki"), "shared"),
  cluster_cert: option(optional, "NONE"),
  cluster_cert_key: option(optional, "NONE"),
  cluster_server_name: option(optional, "NONE"),
  /** `cluster_mtls = pki`: the CA certificate(s) both sides' chains must lead to (path, PEM or base64 PEM). */
  cluster_ca_cert: option(optional, "NONE"),
  /**
   * Lintel, shared mode: more cluster certificates to trust besides `cluster_cert`, so that old and
   * new overlap during a rotation (reloaded with SIGHUP, no restart).
   */
  cluster_trusted_certs: option(optional, "NONE"),
  /**
   * `cluster_mtls = pki`: whether the CP asks the OCSP responder named in a DP's certificate if it
   * was revoked. `on` refuses unless the answer is "good"; `optional` refuses only a revocation.
   */
  cluster_ocsp: option(oneOf("on", "off", "optional"), "off"),
  cluster_dp_labels: option(labels, "NONE"),
  cluster_max_payload: option(
    number(4194304, "cluster_max_payload must be 4194304 (4MB) or greater", [
      MAX_CLUSTER_PAYLOAD,
      "cluster_max_payload must be 50331648 (48MB) or less: a DP node holds two snapshots whole, in 128 MB",
    ]),
    "16777216",
  ),
  cluster_data_plane_purge_delay: option(
    number(60, "cluster_data_plane_purge_delay must be 60 or greater"),
    "1209600",
  ),
  db_update_frequency: option(number(0.01), "5"),
  /** A kong.yml a DP serves until it has a config from the control plane (path, for `lintel dp`). */
  declarative_config: option(optional, "NONE"),
  /** The same, as text (YAML or JSON): what a Worker is given. */
  declarative_config_string: option(optional, "NONE"),
  /** Where a DP keeps its last config for a cold start (Kong's option): encrypted, unencrypted or off. */
  data_plane_config_cache_mode: option(oneOf("encrypted", "unencrypted", "off"), "encrypted"),
  /**
   * Lintel: the most consumers and credentials (consumers, key-auth, basic-auth, jwt, acls) a DP's
   * isolates hold in memory; a config with more keeps them in the DP node's storage, where
   * isolates look up the ones requests name, and remember them.
   */
  data_plane_consumers_in_memory: option(number(0), "20000"),
  /** Lintel: how often an isolate asks its DP node whether the config changed, in seconds. */
  config_check_interval: option(number(0.01), "0.5"),
  /** Response headers the proxy adds (Kong's tokens and names; `off` for none). */
  headers: option(headerSet(HEADER_TOKENS), "server_tokens, latency_tokens, x-kong-request-id"),
  /** Request headers the proxy adds for the upstream. */
  headers_upstream: option(headerSet(["x-kong-request-id"]), "x-kong-request-id"),
  trusted_ips: option(trustedIps, "NONE"),
  /** The header a trusted client's real address comes in. */
  real_ip_header: option(str, "X-Real-IP"),
  real_ip_recursive: option(bool, "off"),
  database: option(oneOf("postgres", "off"), "postgres"),
  pg_host: option(optional, "NONE"),
  pg_port: option(number(1), "5432"),
  pg_user: option(str, "kong"),
  pg_password: option(optional, "NONE"),
  pg_database: option(str, "kong"),
  pg_ssl: option(bool, "off"),
} as const;

export type OptionName = keyof typeof OPTIONS;
export type Conf = {
  [K in OptionName]: ReturnType<(typeof OPTIONS)[K]["parse"]> extends Result<infer T, string> ? T : never;
};

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

export type ConfSource = Partial<Record<string, string>>;

/**
 * Builds the configuration from raw values (already merged: defaults < file < environment).
 * Every bad value is reported, each naming its option.
 */
export function parseConf(values: ConfSource): Result<Conf, string[]> {
  const errors: string[] = [];
  const conf: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) {
    const def = OPTIONS[name];
    const raw = (values[name] ?? def.fallback).trim();
    const r = (def.parse as Parser<unknown>)(name, raw);
    if (r.ok) conf[name] = r.value;
    else errors.push(r.error);
  }
  return errors.length ? err(errors) : ok(conf as Conf);
}

/** Kong's `KONG_<NAME>` environment variables, by option name. */
export function fromEnvironment(env: Readonly<Record<string, unknown>>): {
  values: ConfSource;
  unknown: string[];
} {
  const values: ConfSource = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith("KONG_") || typeof value !== "string") continue;
    const name = key.slice(5).toLowerCase();
    if ((OPTION_NAMES as string[]).includes(name)) values[name] = value;
    else unknown.push(key);
  }
  return { values, unknown };
}

/** A `kong.conf` file: `name = value` lines, `#` comments (`\#` for a literal one). */
export function parseConfFile(text: string): Result<ConfSource, string[]> {
  const values: ConfSource = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const stripped = line
      .replace(/(^|[^\\])#.*$/, "$1")
      .replace(/\\#/g, "#")
      .trim();
    if (stripped === "") return;
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(stripped);
    if (!m) {
      errors.push(`line ${i + 1}: expected 'name = value', got '${stripped}'`);
      return;
    }
    const name = (m[1] ?? "").toLowerCase();
    if (!(OPTION_NAMES as string[]).includes(name)) {
      errors.push(`line ${i + 1}: unknown option '${name}'`);
      return;
    }
    values[name] = m[2] ?? "";
  });
  return errors.length ? err(errors) : ok(values);
}
