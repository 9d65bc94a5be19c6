import type { Window } from "../shared/plugins/handlers/rate-limiting";
import { EXPIRATION } from "../shared/plugins/handlers/rate-limiting";

/** A limit this high or higher is counted in leases rather than one call per request. */
export const LEASE_FROM = 200;
/** Most hits an isolate takes at once. */
const MOST_PER_LEASE = 100;

/** How many hits an isolate takes at once for these windows: 1 % of the smallest limit, at most 100. */
export function leaseSize(windows: Window[]): number {
  const smallest = Math.min(...windows.map((w) => w.limit));
  return smallest >= LEASE_FROM ? Math.min(MOST_PER_LEASE, Math.floor(smallest / 100)) : 1;
}

/** A subject's counter: `hit` counts one request, `lease` up to `want` at once. */
export interface SubjectCounter {
  hit(windows: Window[]): Promise<{ usage: number[]; stop: boolean }>;
  lease(windows: Window[], want: number): Promise<{ usage: number[]; granted: number }>;
}

type Pool = { left: number; base: number[]; used: number; until: number };

/**
 * Hits counted in leases, per isolate, for high limits: the isolate takes up to 1 % of the limit
 * from the subject's counter at once (counted there at once, so the limit still holds across
 * every isolate and colo), then lets that many requests through without a call. Hits leased by an
 * isolate that then goes idle are lost for the window: the count errs on the side of refusing.
 * The usage each request reports is its own place in the lease.
 */
export class RateLeases {
  private readonly pools = new Map<string, Pool>();
  private readonly pending = new Map<string, Promise<{ usage: number[]; granted: number }>>();

  /**
   * Counts one hit. `counter` gives the subject's counter, asked for only when a call is needed: a
   * hit taken from a lease makes no stub.
   */
  async hit(
    counter: () => SubjectCounter,
    name: string,
    windows: Window[],
  ): Promise<{ usage: number[]; stop: boolean }> {
    const size = leaseSize(windows);
    if (size < 2) return counter().hit(windows);
    const key = `${name}|${windows.map((w) => w.key).join(",")}`;
    const take = (pool: Pool) => {
      pool.left--;
      const usage = pool.base.map((u) => u + pool.used);
      pool.used++;
      return { usage, stop: false };
    };
    for (;;) {
      const pool = this.pools.get(key);
      if (pool && pool.left > 0 && Date.now() < pool.until) return take(pool);
      let leasing = this.pending.get(key);
      if (!leasing) {
        leasing = counter()
          .lease(windows, size)
          .then((got) => {
            if (got.granted > 0) this.add(key, windows, got);
            return got;
          })
          .finally(() => this.pending.delete(key));
        this.pending.set(key, leasing);
      }
      const got = await leasing;
      if (got.granted === 0) return { usage: got.usage, stop: true };
      // a lease just granted is for these windows even if one of them has ended since
      const fresh = this.pools.get(key);
      if (fresh && fresh.left > 0) return take(fresh);
      // the others waiting on that lease used it up: take another
    }
  }

  private add(key: string, windows: Window[], got: { usage: number[]; granted: number }): void {
    const now = Date.now();
    if (this.pools.size > 1000) for (const [k, p] of this.pools) if (p.until <= now) this.pools.delete(k);
    const until = Math.min(
      ...windows.map((w) => Number(w.key.slice(w.key.indexOf(":") + 1)) + (EXPIRATION[w.period] ?? 1) * 1000),
    );
    this.pools.set(key, { left: got.granted, base: got.usage, used: 0, until });
  }
}
