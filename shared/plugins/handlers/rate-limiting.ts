import type { PluginHandler, PluginRequest } from "../runtime/types";

type Period = "second" | "minute" | "hour" | "day" | "month" | "year";
const PERIODS: Period[] = ["second", "minute", "hour", "day", "month", "year"];
/** Kong's EXPIRATION (kong/plugins/rate-limiting/expiration.lua), seconds. */
export const EXPIRATION: Record<Period, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
};
const NAME: Record<Period, string> = {
  second: "Second",
  minute: "Minute",
  hour: "Hour",
  day: "Day",
  month: "Month",
  year: "Year",
};

type Config = Partial<Record<Period, number | null>> & {
  limit_by: string;
  header_name: string | null;
  path: string | null;
  policy: "local" | "cluster" | "redis";
  fault_tolerant: boolean;
  hide_client_headers: boolean;
  error_code: number;
  error_message: string;
};

/** One counter of a subject: its key (period and window start) and its limit. */
export type Window = { key: string; period: Period; limit: number };

/**
 * Where counts live: `local` is the DP node's (one colo), `cluster` shared by every colo. A hit is
 * atomic: either every window is counted, or (one is full) none is, and the counts before it come
 * back.
 */
export interface RateCounters {
  /** `subject`: the plugin's scope and the request's identifier, whose windows are counted together. */
  hit(
    policy: "local" | "cluster",
    subject: string,
    windows: Window[],
  ): Promise<{ usage: number[]; stop: boolean }>;
}

/** Kong's `timestamp.get_timestamps`: the start of each period (UTC, ms). */
export function periodStarts(now: number): Record<Period, number> {
  const d = new Date(Math.floor(now / 1000) * 1000);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  const day = d.getUTCDate();
  const h = d.getUTCHours();
  const mi = d.getUTCMinutes();
  return {
    second: d.getTime(),
    minute: Date.UTC(y, mo, day, h, mi),
    hour: Date.UTC(y, mo, day, h),
    day: Date.UTC(y, mo, day),
    month: Date.UTC(y, mo, 1),
    year: Date.UTC(y, 0, 1),
  };
}

/** Kong's `get_identifier`. */
function identifier(req: PluginRequest, conf: Config): string {
  let id: string | undefined | null;
  if (conf.limit_by === "service") id = req.serviceId;
  else if (conf.limit_by === "consumer") id = req.consumer?.id ?? req.credential?.id;
  else if (conf.limit_by === "credential") id = req.credential?.id;
  else if (conf.limit_by === "header") id = conf.header_name ? req.headers.get(conf.header_name) : null;
  else if (conf.limit_by === "path") id = req.path === conf.path ? req.path : null;
  return id ?? req.ip;
}

/**
 * Kong's rate-limiting: every configured period counted for the request's identifier within the
 * plugin's scope; Kong's X-RateLimit-*, RateLimit-* and Retry-After headers. Unlike Kong's check
 * then increment, a hit is checked and counted in one step, so concurrent requests cannot slip past
 * a limit together.
 */
export const rateLimiting: PluginHandler<Config> = {
  name: "rate-limiting",
  priority: 910,
  async access(req, conf, env, scope) {
    const now = Date.now();
    const starts = periodStarts(now);
    const periods = PERIODS.filter((p) => typeof conf[p] === "number");
    const id = identifier(req, conf);
    const windows: Window[] = periods.map((p) => ({
      key: `${p}:${starts[p]}`,
      period: p,
      limit: conf[p] as number,
    }));
    // `redis` asks for counts shared by every node: at the edge that is the cluster's counter
    const policy = conf.policy === "local" ? "local" : "cluster";
    let result: { usage: number[]; stop: boolean };
    try {
      result = await env.counters.hit(policy, `${scope ?? ""}:${id}`, windows);
    } catch (e) {
      if (!conf.fault_tolerant) throw e;
      console.error(`[lintel] rate-limiting: counters unreachable, request let through: ${e}`);
      return undefined;
    }
    let stopAt: Period | undefined;
    const rows = windows.map((w, i) => {
      const remaining = w.limit - (result.usage[i] ?? 0);
      if (remaining <= 0) stopAt = w.period;
      return { ...w, remaining };
    });
    let reset = 0;
    if (!conf.hide_client_headers) {
      let best: { limit: number; window: number; remaining: number } | undefined;
      for (const r of rows) {
        const remaining = Math.max(
          0,
          stopAt === undefined || stopAt === r.period ? r.remaining - 1 : r.remaining,
        );
        const window = EXPIRATION[r.period];
        if (!best || remaining < best.remaining || (remaining === best.remaining && window > best.window)) {
          best = { limit: r.limit, window, remaining };
          reset = Math.max(1, window - Math.floor((now - starts[r.period]) / 1000));
        }
        req.responseHeaders.set(`X-RateLimit-Limit-${NAME[r.period]}`, String(r.limit));
        req.responseHeaders.set(`X-RateLimit-Remaining-${NAME[r.period]}`, String(remaining));
      }
      if (best) {
        req.responseHeaders.set("RateLimit-Limit", String(best.limit));
        req.responseHeaders.set("RateLimit-Remaining", String(best.remaining));
        req.responseHeaders.set("RateLimit-Reset", String(reset));
      }
    }
    if (result.stop) {
      if (!conf.hide_client_headers) req.responseHeaders.set("Retry-After", String(reset));
      return { status: conf.error_code, message: conf.error_message };
    }
    return undefined;
  },
};
