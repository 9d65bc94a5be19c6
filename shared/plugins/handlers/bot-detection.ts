import type { PluginHandler } from "../runtime/types";
import { BOT_RULES } from "./bot-rules";

type Config = { allow: string[]; deny: string[] };

/** User-Agents remembered per config, as Kong's per-worker cache. */
const CACHE_SIZE = 10_000;

type Compiled = { allow: RegExp[]; deny: RegExp[]; seen: Map<string, boolean> };
const compiled = new WeakMap<object, Compiled>();

function compile(conf: Config): Compiled {
  let c = compiled.get(conf);
  if (!c) {
    // the schema has checked that each compiles
    c = {
      allow: conf.allow.map((r) => new RegExp(r)),
      deny: conf.deny.map((r) => new RegExp(r)),
      seen: new Map(),
    };
    compiled.set(conf, c);
  }
  return c;
}

/** Whether a User-Agent is refused: `allow` first, then `deny`, then the bot rules. */
export function isBot(userAgent: string, c: Compiled): boolean {
  if (c.allow.some((r) => r.test(userAgent))) return false;
  if (c.deny.some((r) => r.test(userAgent))) return true;
  return BOT_RULES.some((r) => r.test(userAgent));
}

/**
 * Kong's bot-detection: a request whose User-Agent (trimmed) matches an `allow` rule passes, one
 * that matches a `deny` rule or the bot rules gets Kong's 403; no User-Agent passes. The verdict
 * per User-Agent is remembered (up to `CACHE_SIZE`, oldest forgotten first).
 */
export const botDetection: PluginHandler<Config> = {
  name: "bot-detection",
  priority: 2500,
  access(req, conf) {
    const header = req.headers.get("user-agent");
    if (header === null) return undefined;
    const userAgent = header.trim();
    const c = compile(conf);
    let refused = c.seen.get(userAgent);
    if (refused === undefined) {
      refused = isBot(userAgent, c);
      if (c.seen.size >= CACHE_SIZE) c.seen.delete(c.seen.keys().next().value as string);
      c.seen.set(userAgent, refused);
    }
    return refused ? { status: 403, message: "Forbidden" } : undefined;
  },
};
