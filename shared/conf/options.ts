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

const number =
  (min?: number, minMessage?: string): Parser<number> =>
  (name, v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n)) return err(`${name} is not a number: '${v}'`);
    if (min !== undefined && n < min) return err(minMessage ?? `${name} must be ${min} or greater`);
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
    number(4194304, "cluster_max_payload must be 4194304 (4MB) or greater"),
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
  /** Lintel: how often an isolate asks its DP node whether the config changed, in seconds. */
  config_check_interval: option(number(0.01), "0.5"),
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
