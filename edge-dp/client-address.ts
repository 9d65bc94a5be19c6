import { type Cidr, cidrContains, parseIp } from "../shared/util/cidr";

export type ClientAddresses = {
  /** Who connected (at the edge: the address Cloudflare saw), Kong's `realip_remote_addr`. */
  peer: string;
  /** The client's address: the peer's, or what a trusted peer says in `real_ip_header`. */
  real: string;
  /** Whether the peer is in `trusted_ips`: only then are its X-Forwarded-* headers believed. */
  trusted: boolean;
};

const isTrusted = (ip: string, trusted: readonly Cidr[]): boolean => {
  if (trusted.length === 0) return false;
  const n = parseIp(ip);
  return n !== undefined && trusted.some((c) => cidrContains(c, n));
};

/** Kong's real IP rules (nginx's realip module as Kong configures it). */
export function clientAddresses(
  headers: Headers,
  conf: { trusted_ips: readonly Cidr[]; real_ip_header: string; real_ip_recursive: boolean },
): ClientAddresses {
  const peer = headers.get("cf-connecting-ip") ?? "127.0.0.1";
  const trusted = isTrusted(peer, conf.trusted_ips);
  if (!trusted) return { peer, real: peer, trusted };
  const stated = headers.get(conf.real_ip_header);
  if (!stated) return { peer, real: peer, trusted };
  const chain = stated
    .split(",")
    .map((s) => s.trim())
    .filter((s) => parseIp(s) !== undefined);
  let real = chain[chain.length - 1];
  if (conf.real_ip_recursive) {
    // the nearest address that is not a trusted proxy
    real = [...chain].reverse().find((ip) => !isTrusted(ip, conf.trusted_ips)) ?? chain[0];
  }
  return { peer, real: real ?? peer, trusted };
}
