import type { Counted, Window } from "../shared/plugins/handlers/rate-limiting";
import { EXPIRATION } from "../shared/plugins/handlers/rate-limiting";

/** A limit this high or higher is counted in leases rather than one call per request. */
export const LEASE_FROM = 200;
/** Most hits an isolate takes at once before it has seen its own pace. */
const FIRST_MOST = 100;
/** A busy isolate's lease: the hits of so many ms of its own traffic, up to 1 % of the limit. */
const LEASE_SPAN_MS = 250;
/** Subjects whose pace an isolate remembers. */
const PACES_KEPT = 1000;

/** How many hits an isolate takes at once for these windows at first: 1 % of the smallest limit, at most 100. */
export function leaseSize(windows: Window[]): number {
  const smallest = Math.min(...windows.map((w) => w.limit));
  return smallest >= LEASE_FROM ? Math.min(FIRST_MOST, Math.floor(smallest / 100)) : 1;
}

/** The most hits an isolate takes at once for these windows, however busy: 1 % of the smallest limit. */
function mostLeased(windows: Window[]): number {
  return Math.floor(Math.min(...windows.map((w) => w.limit)) / 100);
}

/** A subject's counter: `hit` counts one request, `lease` up to `want` at once. */
export interface SubjectCounter {
  hit(windows: Window[]): Promise<{ usage: number[]; stop: boolean }>;
  lease(windows: Window[], want: number): Promise<{ usage: number[]; granted: number }>;
}

/**
 * What a set of windows adds to a subject's keys, and its first lease: worked out once per set
 * (rate-limiting makes one set a second per configuration, for every request in that second).
 */
type Shape = { key: string; paceKey: string; first: number };
const shapes = new WeakMap<Window[], Shape>();

function shapeOf(windows: Window[]): Shape {
  let shape = shapes.get(windows);
  if (!shape) {
    let key = "";
    let paceKey = "";
    for (const w of windows) {
      key += `|${w.key}`;
      paceKey += `|${w.period}=${w.limit}`;
    }
    shape = { key, paceKey, first: leaseSize(windows) };
    shapes.set(windows, shape);
  }
  return shape;
}

type Pool = { left: number; base: number[]; used: number; until: number };
type Granted = { usage: number[]; granted: number; pool?: Pool };
/** An isolate's own traffic for a subject: hits taken since it last asked for a lease, and when. */
type Pace = { since: number; taken: number; size: number };

/**
 * Hits counted in leases, per isolate, for high limits: the isolate takes a lease of hits from the
 * subject's counter at once (counted there at once, so the limit still holds across every isolate
 * and colo), then lets that many requests through without a call. It asks for the next lease when
 * half of what it holds is used, so a steady stream of requests does not wait on the counter (at
 * the edge, a `cluster` counter can be a colo away).
 *
 * A lease is 1 % of the limit, at most 100, until the isolate has seen its own pace; then it is
 * the hits of its last LEASE_SPAN_MS of traffic, from that size up to 1 % of the limit: a busy
 * isolate calls the counter a few times a second whatever its rate. Hits an isolate holds when it
 * goes idle or the window ends are lost for the window: at most a lease and a half, so for all
 * isolates together about the hits of the subject's last LEASE_SPAN_MS and a half of traffic. The
 * count errs on the side of refusing. The usage each request reports is its own place in its lease.
 */
export class RateLeases {
  /** Per subject and windows: the leases held, in the order they are used. */
  private readonly pools = new Map<string, Pool[]>();
  private readonly pending = new Map<string, Promise<Granted>>();
  /** Per subject and limits (not windows: a pace outlives a window of a second). */
  private readonly paces = new Map<string, Pace>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Counts one hit. `counter` gives the subject's counter, asked for only when a call is needed (a
   * hit taken from a lease reaches no Durable Object). `keepAlive` is given the call for a next
   * lease that no request waits on (a Worker's `ctx.waitUntil`), so that it is not cut off with
   * the request.
   */
  hit(
    counter: () => SubjectCounter,
    name: string,
    windows: Window[],
    keepAlive: (p: Promise<unknown>) => void = () => undefined,
  ): Counted | Promise<Counted> {
    const shape = shapeOf(windows);
    // a Durable Object's call gives a thenable of its own, not a Promise: made one here, where the
    // answer is told apart from a promise of one
    if (shape.first < 2) return Promise.resolve(counter().hit(windows));
    const key = name + shape.key;
    const pace = this.paceOf(name + shape.paceKey, shape.first);
    // a hit from a lease held is counted at once, without a turn of the event loop
    return (
      this.fromHeld(key, counter, windows, pace, keepAlive) ??
      this.leaseAndHit(key, counter, windows, pace, keepAlive)
    );
  }

  /** A hit from the leases held, asking early for the next lease; undefined when none is left. */
  private fromHeld(
    key: string,
    counter: () => SubjectCounter,
    windows: Window[],
    pace: Pace,
    keepAlive: (p: Promise<unknown>) => void,
  ): Counted | undefined {
    const held = this.live(key);
    if (!held) return undefined;
    const hit = take(held.pool);
    pace.taken++;
    if (held.left - 1 <= pace.size / 2 && !this.pending.has(key)) {
      const next = this.lease(key, counter, windows, this.sizeFor(pace, windows));
      // a failed early lease is asked for again when a request needs it
      keepAlive(next.catch(() => undefined));
    }
    return hit;
  }

  /** A hit once a lease is granted (the one asked for, or one another request asked for). */
  private async leaseAndHit(
    key: string,
    counter: () => SubjectCounter,
    windows: Window[],
    pace: Pace,
    keepAlive: (p: Promise<unknown>) => void,
  ): Promise<Counted> {
    for (;;) {
      const got = await this.lease(key, counter, windows, this.sizeFor(pace, windows));
      if (got.granted === 0) return { usage: got.usage, stop: true };
      // a lease just granted is for these windows even if one of them has ended since
      if (got.pool && got.pool.left > 0) {
        pace.taken++;
        return take(got.pool);
      }
      // the others waiting on that lease used it up: take another, or one granted meanwhile
      const held = this.fromHeld(key, counter, windows, pace, keepAlive);
      if (held) return held;
    }
  }

  private paceOf(key: string, first: number): Pace {
    let pace = this.paces.get(key);
    if (!pace) {
      if (this.paces.size >= PACES_KEPT) this.paces.delete(this.paces.keys().next().value as string);
      pace = { since: this.now(), taken: 0, size: first };
      this.paces.set(key, pace);
    }
    return pace;
  }

  /** The size of the next lease, from the hits taken since the last was asked for. */
  private sizeFor(pace: Pace, windows: Window[]): number {
    const now = this.now();
    // the clock stands still within a request: with no time gone by, the last size holds
    if (now > pace.since) {
      const recent = Math.round((pace.taken * LEASE_SPAN_MS) / (now - pace.since));
      pace.size = Math.max(leaseSize(windows), Math.min(mostLeased(windows), recent));
      pace.since = now;
      pace.taken = 0;
    }
    return pace.size;
  }

  /** The first lease with hits left in a window not over, and what all of them hold. */
  private live(key: string): { pool: Pool; left: number } | undefined {
    const list = this.pools.get(key);
    // a key's leases are for the same windows: they end together
    if (list && this.now() < (list[0]?.until ?? 0)) {
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
    const now = this.now();
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
function take(pool: Pool): Counted {
  pool.left--;
  const usage = pool.base.map((u) => u + pool.used);
  pool.used++;
  return { usage, stop: false };
}
