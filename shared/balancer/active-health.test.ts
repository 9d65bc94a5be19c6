import { describe, expect, it } from "vitest";
import { type ActiveChecks, ActiveHealth, healthKey } from "./active-health";

const up = (active: ActiveChecks) => ({ id: "u1", name: "u", healthchecks: { active } });
const targets = [
  { id: "t1", target: "10.0.0.1:80", weight: 100, upstream: "u1" },
  { id: "t2", target: "10.0.0.2:80", weight: 0, upstream: "u1" },
];
const key = healthKey("u1", "10.0.0.1", 80);

describe("active health checks (healthchecks.active)", () => {
  const checks: ActiveChecks = {
    http_path: "/status",
    timeout: 2,
    healthy: { interval: 5, http_statuses: [200], successes: 2 },
    unhealthy: { interval: 1, http_statuses: [500], http_failures: 2, tcp_failures: 1, timeouts: 3 },
  };

  it("probes enabled targets at once, then every healthy.interval", () => {
    const h = new ActiveHealth([up(checks)], targets, 1000);
    expect(h.due(1000).map((p) => [p.key, p.path, p.timeoutMs])).toEqual([[key, "/status", 2000]]);
    h.record(key, { status: 200 }, 1000);
    expect(h.due(5999)).toEqual([]);
    expect(h.due(6000)).toHaveLength(1);
    expect(h.nextDue()).toBe(6000);
  });

  it("goes unhealthy after unhealthy.http_failures failures in a row, back after healthy.successes", () => {
    const h = new ActiveHealth([up(checks)], targets, 0);
    h.record(key, { status: 500 }, 0);
    expect(h.snapshot()).toEqual({ [key]: true });
    h.record(key, { status: 500 }, 1);
    expect(h.snapshot()).toEqual({ [key]: false });
    expect(h.nextDue()).toBe(1001); // unhealthy.interval
    h.record(key, { status: 200 }, 2);
    expect(h.snapshot()).toEqual({ [key]: false });
    h.record(key, { status: 200 }, 3);
    expect(h.snapshot()).toEqual({ [key]: true });
  });

  it("counts connection failures and timeouts apart, and keeps state across a new config", () => {
    const h = new ActiveHealth([up(checks)], targets, 0);
    h.record(key, { error: "timeout" }, 0);
    h.record(key, { error: "timeout" }, 0);
    expect(h.snapshot()[key]).toBe(true);
    h.record(key, { error: "tcp" }, 0);
    expect(h.snapshot()[key]).toBe(false);
    const next = new ActiveHealth([up(checks)], targets, 5);
    next.carryOver(h);
    expect(next.snapshot()[key]).toBe(false);
  });

  it("checks nothing without an interval, and leaves a state whose interval is 0 alone", () => {
    expect(
      new ActiveHealth([up({ healthy: { interval: 0 }, unhealthy: { interval: 0 } })], targets, 0).empty,
    ).toBe(true);
    const h = new ActiveHealth([up({ ...checks, healthy: { ...checks.healthy, interval: 0 } })], targets, 0);
    expect(h.due(10_000)).toEqual([]);
  });
});
