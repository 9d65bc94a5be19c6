import { describe, expect, it } from "vitest";
import { LatestOnly } from "./latest-only";

/** A piece of work that finishes when the test says so. */
const gate = () => {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
};

describe("LatestOnly", () => {
  it("works on the newest value only, after the task that offered it", async () => {
    const seen: number[] = [];
    const latest = new LatestOnly<number>(
      async (v) => {
        seen.push(v);
      },
      () => undefined,
    );
    latest.offer(1);
    latest.offer(2);
    latest.offer(3);
    expect(seen).toEqual([]);
    await latest.idle();
    expect(seen).toEqual([3]);
  });

  it("never runs two at once: values offered meanwhile wait, and only the newest of them runs", async () => {
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const gates = new Map<number, ReturnType<typeof gate>>();
    const latest = new LatestOnly<number>(
      async (v) => {
        started.push(v);
        running++;
        most = Math.max(most, running);
        const g = gate();
        gates.set(v, g);
        await g.opened;
        running--;
      },
      () => undefined,
    );
    latest.offer(1);
    await expect.poll(() => started).toEqual([1]);
    latest.offer(2);
    latest.offer(3);
    gates.get(1)?.open();
    await expect.poll(() => started).toEqual([1, 3]);
    gates.get(3)?.open();
    await latest.idle();
    expect(most).toBe(1);
  });

  it("reports a failure and goes on with the next value", async () => {
    const errors: unknown[] = [];
    const done: string[] = [];
    const latest = new LatestOnly<string>(
      async (v) => {
        if (v === "bad") throw new Error("disk full");
        done.push(v);
      },
      (e) => errors.push(e),
    );
    latest.offer("bad");
    await latest.idle();
    latest.offer("good");
    await latest.idle();
    expect(done).toEqual(["good"]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["disk full"]);
  });
});
