import type { PluginHandler } from "../runtime/types";

type Config = { allow: string[] | null; deny: string[] | null; hide_groups_header: boolean };

const FORBIDDEN = "You cannot consume this service";

/** Kong's acl: the identified consumer's groups against `allow` or `deny`. */
export const acl: PluginHandler<Config> = {
  name: "acl",
  priority: 950,
  async access(req, conf, env) {
    const deny = (conf.deny ?? []).length > 0;
    const list = (deny ? conf.deny : conf.allow) ?? [];
    if (!req.consumer)
      return req.credential ? { status: 403, message: FORBIDDEN } : { status: 401, message: "Unauthorized" };
    const groups = await env.consumers.groups(req.consumer.id);
    if (groups.length === 0 && !deny) {
      return req.credential ? { status: 403, message: FORBIDDEN } : { status: 401, message: "Unauthorized" };
    }
    const inGroup = groups.some((g) => list.includes(g));
    if (deny ? inGroup : !inGroup) return { status: 403, message: FORBIDDEN };
    if (!conf.hide_groups_header) req.upstreamHeaders.set("x-consumer-groups", groups.join(", "));
    return undefined;
  },
};
