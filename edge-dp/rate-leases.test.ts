import { describe, expect, it } from "vitest";
import type { Window } from "../shared/plugins/handlers/rate-limiting";
import { leaseSize, RateLeases, type SubjectCounter } from "./rate-leases";

/** The counter's own rule (RateLimitCounter.lease) over one window, counting calls. */
function counter(limit: number) {
  let count = 0;
  const calls = { hit: 0, lease: 0 };
  const wants: number[] = [];
  const subject: SubjectCounter = {
    async hit() {
      calls.hit++;
      const usage = [count];
      if (count >= limit) return { usage, stop: true };
      count++;
      return { usage, stop: false };
    },
    async lease(_w, want) {
      calls.lease++;
      wants.push(want);
      await new Promise((r) => setTimeout(r, 1));
      const granted = Math.max(0, Math.min(want, limit - count));
      const usage = [count];
      count += granted;
      return { usage, granted };
    },
  };
  let stubs = 0;
  const stub = () => {
    stubs++;
    return subject;
  };
  return { stub, calls, wants, counted: () => count, stubs: () => stubs };
}

/** Today's window (the start read once: two reads a millisecond apart would name two windows). */
const today = () => {
  const now = Date.now();
  return now - (now % 86_400_000);
};
const windows = (limit: number, start = today()): Window[] => [{ key: `day:${start}`, period: "day", limit }];

describe("rate-limiting leases", () => {
  it("leases 1 % of a limit of 200 or more, at most 100; below 200 every hit is one call", () => {
    expect([
      leaseSize(windows(199)),
      leaseSize(windows(200)),
      leaseSize(windows(5000)),
      leaseSize(windows(1e6)),
    ]).toEqual([1, 2, 50, 100]);
  });

  it("lets exactly the limit through, with one call per lease, concurrent requests sharing a lease", async () => {
    const c = counter(1000);
    const leases = new RateLeases();
    const results = await Promise.all(
      Array.from({ length: 1200 }, () => leases.hit(c.stub, "s", windows(1000))),
    );
    expect(results.filter((r) => !r.stop)).toHaveLength(1000);
    expect(new Set(results.filter((r) => !r.stop).map((r) => r.usage[0])).size).toBe(1000);
    expect(c.calls.hit).toBe(0);
    expect(c.calls.lease).toBeLessThanOrEqual(1000 / 10 + 1 + 200);
    // a stub only for a call: none for the hits taken from a lease
    expect(c.stubs()).toBe(c.calls.lease);
    expect(c.counted()).toBe(1000);
  });

  it("asks for the next lease when half of the last is used, so a steady stream never waits on the counter", async () => {
    // a counter whose leases arrive only when the test lets them
    const granted: Array<() => void> = [];
    let count = 0;
    const subject: SubjectCounter = {
      hit: async () => ({ usage: [count], stop: false }),
      lease: (_w, want) =>
        new Promise((resolve) => {
          granted.push(() => {
            const usage = [count];
            count += want;
            resolve({ usage, granted: want });
          });
        }),
    };
    const kept: Promise<unknown>[] = [];
    // the clock stands still, as within one request: the isolate's pace is not known, leases of 100
    const frozen = Date.now();
    const leases = new RateLeases(() => frozen);
    const w = windows(1e6);
    const hit = () =>
      leases.hit(
        () => subject,
        "s",
        w,
        (p) => kept.push(p),
      );
    /** Whether a hit is answered at once: counted, not a promise of counts. */
    const answeredAtOnce = async () => {
      const h = hit();
      return { settled: !(h instanceof Promise), hit: h };
    };

    const first = hit();
    (granted.shift() as () => void)();
    expect((await first).usage).toEqual([0]);
    // the first half of the lease: no call
    for (let i = 1; i < 49; i++) expect((await answeredAtOnce()).settled).toBe(true);
    expect(granted).toHaveLength(0);
    // the hit that leaves half asks for the next lease, kept alive, and does not wait for it
    expect((await answeredAtOnce()).settled).toBe(true);
    expect([granted.length, kept.length]).toEqual([1, 1]);
    (granted.shift() as () => void)();
    await Promise.all(kept);
    // the rest of the first lease, then the second, never waiting
    const usages: number[] = [];
    for (let i = 50; i < 200; i++) {
      const { settled, hit: h } = await answeredAtOnce();
      expect(settled).toBe(true);
      usages.push((await h).usage[0] as number);
      // the third lease is asked for when half of the second is left, and lets in at once
      for (const g of granted.splice(0)) g();
      await Promise.all(kept);
    }
    // every hit has its own place in the count, in order
    expect(usages).toEqual(Array.from({ length: 150 }, (_, i) => i + 50));
    // hit 50 asked for the second lease, hit 150 for the third
    expect(kept).toHaveLength(2);
    expect(count).toBe(300);
  });

  it("counts a small limit one call per hit", async () => {
    const c = counter(3);
    const leases = new RateLeases();
    const stops = [];
    for (let i = 0; i < 5; i++) stops.push((await leases.hit(c.stub, "s", windows(3))).stop);
    expect(stops).toEqual([false, false, false, true, true]);
    expect(c.calls).toEqual({ hit: 5, lease: 0 });
  });

  it("takes a new lease for a new window", async () => {
    const c = counter(10_000);
    const leases = new RateLeases();
    const day = today();
    await leases.hit(c.stub, "s", windows(10_000, day));
    await leases.hit(c.stub, "s", windows(10_000, day));
    await leases.hit(c.stub, "s", windows(10_000, day + 86_400_000));
    expect(c.calls.lease).toBe(2);
  });

  it("uses a lease granted for a window that ended meanwhile once, and takes no more for it", async () => {
    const c = counter(10_000);
    const leases = new RateLeases();
    const ended = windows(10_000, 0);
    expect((await leases.hit(c.stub, "s", ended)).stop).toBe(false);
    expect(c.counted()).toBe(100);
    expect(c.calls.lease).toBe(1);
  });

  it("gives a busy isolate leases of its last 250 ms of traffic, at most 1 % of the limit, and small ones again when it slows", async () => {
    let now = today() + 1000;
    const run = async (
      limit: number,
      perMs: number,
      ms: number,
      c = counter(limit),
      leases = new RateLeases(() => now),
    ) => {
      for (let t = 0; t < ms; t++) {
        now++;
        for (let i = 0; i < perMs; i++) await leases.hit(c.stub, "s", windows(limit));
      }
      return { c, leases };
    };
    // 10 hits a ms: 2500 in 250 ms, under 1 % of a million
    const busy = await run(1e6, 10, 2000);
    expect(busy.c.wants[0]).toBe(100);
    expect(busy.c.wants.at(-1)).toBeGreaterThanOrEqual(2400);
    expect(busy.c.wants.at(-1)).toBeLessThanOrEqual(2600);
    // a steady 20 000 hits in about a dozen calls, not 200
    expect(busy.c.calls.lease).toBeLessThan(20);
    expect(busy.c.counted() - 20_000).toBeLessThanOrEqual(1.5 * 2600);
    // 1 % of 100 000 is the most
    const capped = await run(1e5, 10, 1000);
    expect(Math.max(...capped.c.wants)).toBe(1000);
    // one hit in 10 ms (25 in 250 ms): its lease lasts it a while; the next is of the first size
    const day = today();
    for (let t = 0; t < 3000; t += 10) {
      now += 10;
      await busy.leases.hit(busy.c.stub, "s", windows(1e6, day));
    }
    now = day + 86_400_000 + 1000;
    await busy.leases.hit(busy.c.stub, "s", windows(1e6, day + 86_400_000));
    expect(busy.c.wants.at(-1)).toBe(100);
  });
});
