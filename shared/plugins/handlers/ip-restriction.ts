import { type Cidr, cidrContains, parseCidr, parseIp } from "../../util/cidr";
import type { PluginHandler } from "../runtime/types";

type Config = {
  allow: string[] | null;
  deny: string[] | null;
  status: number | null;
  message: string | null;
};

const compiled = new WeakMap<object, { allow: Cidr[]; deny: Cidr[] }>();

function blocks(conf: Config) {
  let c = compiled.get(conf);
  if (!c) {
    const parse = (list: string[] | null) =>
      (list ?? []).map(parseCidr).filter((x): x is Cidr => x !== undefined);
    c = { allow: parse(conf.allow), deny: parse(conf.deny) };
    compiled.set(conf, c);
  }
  return c;
}

/** Kong's ip-restriction: `deny` first, then `allow`, on the client's address (IPv4 and IPv6). */
export const ipRestriction: PluginHandler<Config> = {
  name: "ip-restriction",
  priority: 990,
  access(req, conf) {
    const { allow, deny } = blocks(conf);
    const ip = parseIp(req.ip);
    const refuse = () => ({
      status: conf.status ?? 403,
      message: conf.message ?? `IP address not allowed: ${req.ip}`,
    });
    if (ip === undefined) return refuse();
    if (deny.some((c) => cidrContains(c, ip))) return refuse();
    if (allow.length > 0 && !allow.some((c) => cidrContains(c, ip))) return refuse();
    return undefined;
  },
};
