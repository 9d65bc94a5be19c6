import type { Exit, Lookup, PluginHandler, PluginRequest } from "../runtime/types";

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
/** Kong's per-period headers, named once (header names are case-insensitive; these go out in lower case). */
const LIMIT_HEADER = Object.fromEntries(
  PERIODS.map((p) => [p, `x-ratelimit-limit-${NAME[p].toLowerCase()}`]),
) as Record<Period, string>;
const REMAINING_HEADER = Object.fromEntries(
  PERIODS.map((p) => [p, `x-ratelimit-remaining-${NAME[p].toLowerCase()}`]),
) as Record<Period, string>;

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
  /**
   * `subject`: the plugin's scope and the request's identifier, whose windows are counted together.
   * The counts at once when this isolate holds hits for the subject (a lease), else a promise.
   */
  hit(policy: "local" | "cluster", subject: string, windows: Window[]): Lookup<Counted>;
}

/** A hit's counts before it, per window, and whether a window was full. */
export type Counted = { usage: number[]; stop: boolean };

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

/** A configuration's windows for one second: the same for every request in it. */
type Current = { second: number; starts: Record<Period, number>; windows: Window[] };
const current = new WeakMap<Config, Current>();

/** The windows a request at `now` is counted in, made once a second per configuration. */
function windowsAt(conf: Config, now: number): Current {
  const second = Math.floor(now / 1000);
  const made = current.get(conf);
  if (made?.second === second) return made;
  const starts = periodStarts(now);
  const windows: Window[] = PERIODS.filter((p) => typeof conf[p] === "number").map((p) => ({
    key: `${p}:${starts[p]}`,
    period: p,
    limit: conf[p] as number,
  }));
  const next = { second, starts, windows };
  current.set(conf, next);
  return next;
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
  access(req, conf, env, scope) {
    const now = Date.now();
    const { starts, windows } = windowsAt(conf, now);
    const id = identifier(req, conf);
    // `redis` asks for counts shared by every node: at the edge that is the cluster's counter
    const policy = conf.policy === "local" ? "local" : "cluster";
    let counted: Lookup<Counted>;
    try {
      counted = env.counters.hit(policy, `${scope ?? ""}:${id}`, windows);
    } catch (e) {
      return unreachable(conf, e);
    }
    // a hit from a lease this isolate holds is counted at once: the request goes on without a turn
    return counted instanceof Promise
      ? counted.then(
          (result) => answer(req, conf, now, starts, windows, result),
          (e: unknown) => unreachable(conf, e),
        )
      : answer(req, conf, now, starts, windows, counted);
  },
};

/** Kong's `fault_tolerant`: without counters, the request goes on (logged), or fails. */
function unreachable(conf: Config, e: unknown): undefined {
  if (!conf.fault_tolerant) throw e;
  console.error(`[lintel] rate-limiting: counters unreachable, request let through: ${e}`);
  return undefined;
}

/** Kong's headers for the counts, and its refusal when a window was full. */
function answer(
  req: PluginRequest,
  conf: Config,
  now: number,
  starts: Record<Period, number>,
  windows: Window[],
  result: Counted,
): Exit | undefined {
  let stopAt: Period | undefined;
  windows.forEach((w, i) => {
    if (w.limit - (result.usage[i] ?? 0) <= 0) stopAt = w.period;
  });
  let reset = 0;
  if (!conf.hide_client_headers) {
    const out = req.responseHeaders;
    let best: { limit: number; window: number; remaining: number } | undefined;
    windows.forEach((w, i) => {
      const left = w.limit - (result.usage[i] ?? 0);
      const remaining = Math.max(0, stopAt === undefined || stopAt === w.period ? left - 1 : left);
      const window = EXPIRATION[w.period];
      if (!best || remaining < best.remaining || (remaining === best.remaining && window > best.window)) {
        best = { limit: w.limit, window, remaining };
        reset = Math.max(1, window - Math.floor((now - starts[w.period]) / 1000));
      }
      out.set(LIMIT_HEADER[w.period], String(w.limit));
      out.set(REMAINING_HEADER[w.period], String(remaining));
    });
    if (best) {
      out.set("ratelimit-limit", String(best.limit));
      out.set("ratelimit-remaining", String(best.remaining));
      out.set("ratelimit-reset", String(reset));
    }
  }
  if (result.stop) {
    if (!conf.hide_client_headers) req.responseHeaders.set("retry-after", String(reset));
    return { status: conf.error_code, message: conf.error_message };
  }
  return undefined;
}
