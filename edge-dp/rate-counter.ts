import { DurableObject } from "cloudflare:workers";
import { EXPIRATION, type RateCounters, type Window } from "../shared/plugins/handlers/rate-limiting";
import type { Env } from "./env";
import type { RateLeases } from "./rate-leases";

type Count = { count: number; until: number };

/**
 * The counters of one rate-limiting subject (a plugin's scope and a client's identifier): every
 * window of a request checked and counted in one step, so concurrent requests cannot pass a limit
 * together. Counts are kept in storage, so they survive the object being moved or evicted.
 */
export class RateLimitCounter extends DurableObject<Env> {
  async hit(windows: Window[]): Promise<{ usage: number[]; stop: boolean }> {
    const { usage, granted } = await this.lease(windows, 1);
    return { usage, stop: granted === 0 };
  }

  /**
   * Counts up to `want` hits at once in every window, as many as the fullest window has room for
   * (none when one is full); returns the counts before them.
   */
  async lease(windows: Window[], want: number): Promise<{ usage: number[]; granted: number }> {
    const now = Date.now();
    const stored = await this.ctx.storage.get<Count>(windows.map((w) => w.key));
    const usage = windows.map((w) => {
      const c = stored.get(w.key);
      return c && c.until > now ? c.count : 0;
    });
    const granted = Math.max(0, Math.min(want, ...windows.map((w, i) => w.limit - (usage[i] ?? 0))));
    if (granted > 0) {
      const next: Record<string, Count> = {};
      windows.forEach((w, i) => {
        const start = Number(w.key.slice(w.key.indexOf(":") + 1));
        next[w.key] = { count: (usage[i] ?? 0) + granted, until: start + (EXPIRATION[w.period] ?? 1) * 1000 };
      });
      await this.ctx.storage.put(next);
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + 60_000);
    }
    return { usage, granted };
  }

  /** Forgets windows that are over. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const all = await this.ctx.storage.list<Count>();
    const over = [...all].filter(([, c]) => c.until <= now).map(([k]) => k);
    for (let i = 0; i < over.length; i += 128) await this.ctx.storage.delete(over.slice(i, i + 128));
    if (all.size > over.length) await this.ctx.storage.setAlarm(now + 60_000);
  }
}

/**
 * Kong's policies at the edge: `local` counts in the data plane node's colo, one object per
 * subject there; `cluster` in one object per subject for the whole cluster, wherever the request
 * arrives.
 */
export function edgeCounters(
  env: Env,
  colo: () => string,
  leases: RateLeases,
  keepAlive: (p: Promise<unknown>) => void,
): RateCounters {
  return {
    hit(policy, subject, windows) {
      const ns = env.RATE_LIMITS;
      if (!ns) throw new Error("the RATE_LIMITS Durable Object binding is missing (wrangler.toml)");
      const name = policy === "cluster" ? `cluster:${subject}` : `local:${colo()}:${subject}`;
      return leases.hit(() => ns.get(ns.idFromName(name)), name, windows, keepAlive);
    },
  };
}
