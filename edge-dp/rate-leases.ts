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
type Granted = { usage: number[]; granted: number; pool?: Pool };

/**
 * Hits counted in leases, per isolate, for high limits: the isolate takes up to 1 % of the limit
 * from the subject's counter at once (counted there at once, so the limit still holds across
 * every isolate and colo), then lets that many requests through without a call. It asks for the
 * next lease when half of what it holds is used, so a steady stream of requests does not wait on
 * the counter (at the edge, a `cluster` counter can be a colo away). Hits an isolate holds when it
 * goes idle or the window ends are lost for the window, at most a lease and a half: the count errs
 * on the side of refusing. The usage each request reports is its own place in its lease.
 */
export class RateLeases {
  /** Per subject and windows: the leases held, in the order they are used. */
  private readonly pools = new Map<string, Pool[]>();
  private readonly pending = new Map<string, Promise<Granted>>();

  /**
   * Counts one hit. `counter` gives the subject's counter, asked for only when a call is needed (a
   * hit taken from a lease reaches no Durable Object). `keepAlive` is given the call for a next
   * lease that no request waits on (a Worker's `ctx.waitUntil`), so that it is not cut off with
   * the request.
   */
  async hit(
    counter: () => SubjectCounter,
    name: string,
    windows: Window[],
    keepAlive: (p: Promise<unknown>) => void = () => undefined,
  ): Promise<{ usage: number[]; stop: boolean }> {
    const size = leaseSize(windows);
    if (size < 2) return counter().hit(windows);
    const key = `${name}|${windows.map((w) => w.key).join(",")}`;
    for (;;) {
      const held = this.live(key);
      if (held) {
        const hit = take(held.pool);
        if (held.left - 1 <= size / 2 && !this.pending.has(key)) {
          const next = this.lease(key, counter, windows, size);
          // a failed early lease is asked for again when a request needs it
          keepAlive(next.catch(() => undefined));
        }
        return hit;
      }
      const got = await this.lease(key, counter, windows, size);
      if (got.granted === 0) return { usage: got.usage, stop: true };
      // a lease just granted is for these windows even if one of them has ended since
      if (got.pool && got.pool.left > 0) return take(got.pool);
      // the others waiting on that lease used it up: take another
    }
  }

  /** The first lease with hits left in a window not over, and what all of them hold. */
  private live(key: string): { pool: Pool; left: number } | undefined {
    const list = this.pools.get(key);
    // a key's leases are for the same windows: they end together
    if (list && Date.now() < (list[0]?.until ?? 0)) {
      while (list.length > 0 && list[0]?.left === 0) list.shift();
      let left = 0;
      for (const p of list) left += p.left;
      if (list[0] && left > 0) return { pool: list[0], left };
    }
    this.pools.delete(key);
    return undefined;
  }

  /** One call for a lease per subject and windows at a time; what it grants joins the leases held. */
  private lease(
    key: string,
    counter: () => SubjectCounter,
    windows: Window[],
    size: number,
  ): Promise<Granted> {
    let leasing = this.pending.get(key);
    if (!leasing) {
      leasing = counter()
        .lease(windows, size)
        .then((got): Granted => (got.granted > 0 ? { ...got, pool: this.add(key, windows, got) } : got))
        .finally(() => this.pending.delete(key));
      this.pending.set(key, leasing);
    }
    return leasing;
  }

  private add(key: string, windows: Window[], got: { usage: number[]; granted: number }): Pool {
    const now = Date.now();
    if (this.pools.size > 1000)
      for (const [k, list] of this.pools) if (list.every((p) => p.until <= now)) this.pools.delete(k);
    const until = Math.min(
      ...windows.map((w) => Number(w.key.slice(w.key.indexOf(":") + 1)) + (EXPIRATION[w.period] ?? 1) * 1000),
    );
    const pool = { left: got.granted, base: got.usage, used: 0, until };
    this.pools.set(key, [...(this.pools.get(key) ?? []), pool]);
    return pool;
  }
}

/** One hit from a lease: its place in the lease is its usage. */
function take(pool: Pool): { usage: number[]; stop: boolean } {
  pool.left--;
  const usage = pool.base.map((u) => u + pool.used);
  pool.used++;
  return { usage, stop: false };
}
