import { describe, expect, it } from "vitest";
import { MAX_SERIES, MetricSet, validMetricsWire } from "./metric-set";

const REQUESTS = "kong_http_requests_total";
const LATENCY = "kong_kong_latency_ms"; // buckets 1, 2, 5, ... 6000
const labels = ["svc", "rt", "200", "service", "default", ""];

describe("MetricSet", () => {
  it("adds to counters and files observations in the first bucket that holds them", () => {
    const m = new MetricSet();
    m.add(REQUESTS, labels, 1);
    m.add(REQUESTS, labels, 2);
    m.observe(LATENCY, ["svc", "rt", "default"], 1);
    m.observe(LATENCY, ["svc", "rt", "default"], 4);
    m.observe(LATENCY, ["svc", "rt", "default"], 60_000);
    const wire = m.toWire();
    expect(wire[JSON.stringify([REQUESTS, ...labels])]).toEqual([3]);
    const h = wire[JSON.stringify([LATENCY, "svc", "rt", "default"])] ?? [];
    expect(h.slice(0, 2)).toEqual([60_005, 3]); // sum, count
    expect(h[2]).toBe(1); // le=1
    expect(h[4]).toBe(1); // le=5
    expect(h.at(-1)).toBe(1); // +Inf
    expect(h.reduce((a, b) => a + b, 0) - 60_005 - 3).toBe(3);
  });

  it("merges what isolates report and hands over its changes once", () => {
    const node = new MetricSet();
    const isolate = new MetricSet();
    isolate.add(REQUESTS, labels, 2);
    node.merge(isolate.take());
    expect(isolate.size).toBe(0);
    isolate.add(REQUESTS, labels, 3);
    node.merge(isolate.take());
    expect(node.toWire()).toEqual({ [JSON.stringify([REQUESTS, ...labels])]: [5] });
  });

  it("ignores unknown metrics and keeps at most MAX_SERIES series", () => {
    const m = new MetricSet();
    m.add("kong_made_up", [], 1);
    expect(m.size).toBe(0);
    for (let i = 0; i <= MAX_SERIES; i++)
      m.add(REQUESTS, ["svc", `r${i}`, "200", "service", "default", ""], 1);
    expect(m.size).toBe(MAX_SERIES);
    expect(m.dropped).toBe(1);
  });
});

describe("validMetricsWire", () => {
  const key = JSON.stringify([REQUESTS, ...labels]);
  it("accepts what a MetricSet sends", () => {
    const m = new MetricSet();
    m.add(REQUESTS, labels, 1);
    m.observe(LATENCY, ["s", "r", "default"], 3);
    expect(validMetricsWire(m.toWire())).toBe(true);
  });
  it.each([
    ["an array", []],
    ["an unknown family", { [JSON.stringify(["kong_x", "a"])]: [1] }],
    ["a missing label", { [JSON.stringify([REQUESTS, "svc"])]: [1] }],
    ["a histogram's width on a counter", { [key]: [1, 2] }],
    ["a negative value", { [key]: [-1] }],
    ["a string value", { [key]: ["1"] }],
    ["a key that is not JSON", { "kong_http_requests_total{}": [1] }],
  ])("refuses %s", (_what, wire) => {
    expect(validMetricsWire(wire)).toBe(false);
  });
});
