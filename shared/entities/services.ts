import type { EntitySchema, FieldErrors } from "../schema/types";
import * as t from "./typedefs";

export type Service = {
  id: string;
  created_at: number;
  updated_at: number;
  name: string | null;
  retries: number;
  protocol: string;
  host: string;
  port: number;
  path: string | null;
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  tags: string[] | null;
  client_certificate: { id: string } | null;
  tls_verify: boolean | null;
  tls_verify_depth: number | null;
  ca_certificates: string[] | null;
  enabled: boolean;
};

const NO_PATH = ["tcp", "tls", "udp", "grpc", "grpcs"];
const TLS_ONLY = ["https", "tls"];

/**
 * Kong's `url` shorthand: `url` sets protocol, host, port and path at once, parsed as LuaSocket
 * parses it (no scheme: the whole text is a path, so Kong's errors name host and path).
 */
function expandUrl(value: unknown): Record<string, unknown> | undefined {
  const text = String(value);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d*))?([^?#]*)/.exec(text);
  if (!m) return { protocol: "http", host: null, port: 80, path: text.replace(/[?#].*$/, "") || null };
  const scheme = (m[1] ?? "").toLowerCase();
  const port = m[3] ? Number(m[3]) : undefined;
  return {
    protocol: scheme,
    host: m[2] ? m[2] : null,
    port: port ?? (scheme === "https" ? 443 : 80),
    path: m[4] ? m[4] : null,
  };
}

function conditional(field: string, when: (protocol: string) => boolean) {
  return (e: Record<string, unknown>): FieldErrors | undefined => {
    if (!when(String(e.protocol)) || e[field] === null || e[field] === undefined) return undefined;
    return {
      "@entity": ["failed conditional validation given value of field 'protocol'"],
      [field]: "value must be null",
    } as FieldErrors;
  };
}

export const servicesSchema: EntitySchema = {
  name: "services",
  endpointKey: "name",
  fields: {
    ...t.namedEntityFields(),
    retries: { type: "integer", default: 5, between: [0, 32767] },
    protocol: t.protocol({ required: true, default: "http" }),
    host: t.host({ required: true }),
    port: t.port({ required: true, default: 80 }),
    path: t.path(),
    connect_timeout: t.timeout(60000),
    write_timeout: t.timeout(60000),
    read_timeout: t.timeout(60000),
    tags: t.tags(),
    client_certificate: { type: "foreign", reference: "certificates" },
    tls_verify: { type: "boolean" },
    tls_verify_depth: { type: "integer", between: [0, 64] },
    ca_certificates: { type: "array", elements: { type: "string", uuid: true } },
    enabled: { type: "boolean", required: true, default: true },
  },
  shorthands: { url: expandUrl },
  checks: [
    conditional("path", (p) => NO_PATH.includes(p)),
    conditional("client_certificate", (p) => !TLS_ONLY.includes(p)),
    conditional("tls_verify", (p) => !TLS_ONLY.includes(p)),
    conditional("tls_verify_depth", (p) => !TLS_ONLY.includes(p)),
    conditional("ca_certificates", (p) => !TLS_ONLY.includes(p)),
  ],
};
