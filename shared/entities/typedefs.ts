import type { ArrayField, Check, IntegerField, StringField } from "../schema/types";
import { normalizeIp } from "../util/host";
import { normalizePath } from "../util/path";

/** Kong's typedefs (kong/db/schema/typedefs.lua) for the fields services and routes use. */

export const PROTOCOLS = ["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"] as const;

export const uuid = (): StringField => ({ type: "string", uuid: true });

export const timestamp = (): IntegerField => ({ type: "integer" });

/** Any non-ASCII character is accepted; ASCII ones must be alphanumerics or `.-_~`. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be refused
const BAD_ASCII_IN_NAME = /[\u0000-\u002c/:-@[-^`{-}\u007f]/;
export const utf8Name = (): StringField => ({
  type: "string",
  check: (name) =>
    BAD_ASCII_IN_NAME.test(name)
      ? `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`
      : undefined,
});

export const protocol = (extra: Partial<StringField> = {}): StringField => ({
  type: "string",
  oneOf: PROTOCOLS,
  ...extra,
});

const validateHost: Check<string> = (host) => {
  const r = normalizeIp(host);
  if (typeof r === "string")
    return r === "invalid port number" ? "must not have a port" : `invalid value: ${host}`;
  return r.port !== undefined ? "must not have a port" : undefined;
};

export const host = (extra: Partial<StringField> = {}): StringField => ({
  type: "string",
  check: validateHost,
  ...extra,
});

export const port = (extra: Partial<IntegerField> = {}): IntegerField => ({
  type: "integer",
  between: [0, 65535],
  ...extra,
});

const RFC3986_PATH = /^\/[A-Za-z0-9._~/%:@!$&'()*+,;=-]*$/;

/** Kong's `validate_path`. */
function checkPathChars(path: string): string | undefined {
  if (!RFC3986_PATH.test(path)) {
    return `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`;
  }
  return checkPercent(path);
}

function checkPercent(path: string): string | undefined {
  const raw = path.replace(/%[0-9A-Fa-f]{2}/g, "___");
  const at = raw.indexOf("%");
  if (at >= 0) return `invalid url-encoded value: '${raw.slice(at, at + 3)}'`;
  return undefined;
}

export const path = (): StringField => ({
  type: "string",
  startsWith: "/",
  check: (p) => (p.includes("//") ? "must not have empty segments" : checkPathChars(p)),
});

const TAG = /^[ \x21-\x2b\x2d\x2e\x30-\x7e\u0080-\u{10ffff}]+$/u;
export const tags = (): ArrayField => ({
  type: "set",
  elements: {
    type: "string",
    required: true,
    check: (tag) =>
      TAG.test(tag)
        ? undefined
        : `invalid tag '${tag}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`,
  },
});

export const timeout = (def: number): IntegerField => ({
  type: "integer",
  between: [1, 2 ** 31 - 2],
  default: def,
});

export const methods = (): ArrayField => ({
  type: "set",
  elements: { type: "string", check: (m) => (/^[A-Z]+$/.test(m) ? undefined : `invalid value: ${m}`) },
});

export const hosts = (): ArrayField => ({
  type: "array",
  elements: {
    type: "string",
    check: (h) => {
      if (h.indexOf("*") !== h.lastIndexOf("*")) return "invalid wildcard: must have at most one wildcard";
      if (!(/^\*\./.test(h) || /\.\*$/.test(h) || /^[^*]*$/.test(h))) {
        return "invalid wildcard: must be placed at leftmost or rightmost label";
      }
      const r = normalizeIp(h.replace(/\*/g, "abc"));
      return typeof r === "string" ? r : undefined;
    },
  },
});

export const routerPaths = (): ArrayField => ({
  type: "array",
  elements: {
    type: "string",
    check: (p) => {
      if (p.includes("//")) return "must not have empty segments";
      if (!p.startsWith("/") && !p.startsWith("~/"))
        return "should start with: / (fixed path) or ~/ (regex path)";
      // Kong reports a bad percent-encoding only where the characters themselves are allowed
      if (RFC3986_PATH.test(p.replace(/^~/, ""))) {
        const percent = checkPercent(p);
        if (percent) return percent;
      }
      if (!p.startsWith("~")) {
        const normalised = normalizePath(p);
        return normalised === p ? undefined : `non-normalized path, consider use '${normalised}' instead`;
      }
      try {
        // PCRE's syntax as JavaScript spells it; what Kong's router cannot run is an entity check
        new RegExp(p.slice(1).replaceAll("(?P<", "(?<"));
      } catch (e) {
        return `invalid regex: '${p.slice(1)}' (PCRE returned: ${(e as Error).message})`;
      }
      return undefined;
    },
  },
});

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
export const headerName = (): StringField => ({
  type: "string",
  check: (name) => {
    if (!HEADER_NAME.test(name))
      return `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
    if (/^host$/i.test(name))
      return "cannot contain 'host' header, which must be specified in the 'hosts' attribute";
    return undefined;
  },
});

export const ipOrCidr = (): StringField => ({
  type: "string",
  check: (v) => {
    const [ip, bits, ...rest] = v.split("/");
    const r = normalizeIp(ip ?? "");
    const max = typeof r !== "string" && r.type === "ipv6" ? 128 : 32;
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (typeof r === "string" || r.type === "name" || r.port !== undefined || rest.length > 0 || !okBits) {
      return `invalid ip or cidr range: '${v}'`;
    }
    return undefined;
  },
});

/** Kong's `wildcard_host` (route `snis`). */
export const wildcardHost = (): StringField => ({
  type: "string",
  check: (sni) => {
    const at = sni.indexOf("*");
    let name = sni;
    if (at >= 0) {
      if (at !== 0 && at !== sni.length - 1) return "wildcard must be leftmost or rightmost character";
      if ((sni.match(/\*/g) ?? []).length > 1) return "only one wildcard must be specified";
      name = sni.replace("*", "wildcard");
    }
    const r = normalizeIp(name);
    if (typeof r === "string" && r !== "invalid port number") return `invalid value: ${name}`;
    if (typeof r !== "string" && r.type !== "name") return "must not be an IP";
    if (r === "invalid port number" || r.port !== undefined) return "must not have a port";
    return undefined;
  },
});

/** What every named Kong entity starts with: `id`, the two timestamps and a `name`. */
export const namedEntityFields = () => ({
  id: uuid(),
  created_at: timestamp(),
  updated_at: timestamp(),
  name: utf8Name(),
});
