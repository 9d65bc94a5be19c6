import { normalizeIp } from "../util/host";

export type Listener = { host: string; port: number; ssl: boolean; http2: boolean };

const FLAGS =
  /^(ssl|http2|proxy_protocol|deferred|bind|reuseport|backlog=\d+|ipv6only=(on|off)|so_keepalive=(on|off|\w*:\w*:\d*))$/;
const FORM =
  "[off] | <ip>:<port> [ssl] [http2] [proxy_protocol] [deferred] [bind] [reuseport] [backlog=%d+] [ipv6only=on] [ipv6only=off] [so_keepalive=on] [so_keepalive=off] [so_keepalive=%w*:%w*:%d*], [... next entry ...]";

/** Parses a `*_listen` value as Kong does; returns Kong's error message on failure. */
export function parseListen(option: string, value: string): Listener[] | string {
  const bad = `${option} must be of form: ${FORM}`;
  const entries = value.split(",").map((e) => e.trim());
  if (entries[0] === "off") return [];
  const out: Listener[] = [];
  for (const entry of entries) {
    const [address = "", ...flags] = entry.split(/\s+/);
    if (address === "" || flags.some((f) => !FLAGS.test(f))) return bad;
    const parsed = normalizeIp(address);
    if (typeof parsed === "string" || parsed.port === undefined) return bad;
    const host = parsed.type === "ipv6" ? `[${parsed.host}]` : parsed.host;
    out.push({ host, port: parsed.port, ssl: flags.includes("ssl"), http2: flags.includes("http2") });
  }
  return out;
}
