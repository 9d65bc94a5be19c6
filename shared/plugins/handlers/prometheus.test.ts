import { describe, expect, it } from "vitest";
import { MetricSet } from "../../metrics/metric-set";
import type { PluginEnvironment, PluginRequest } from "../runtime/types";
import { type PrometheusConfig, prometheus } from "./prometheus";

const off: PrometheusConfig = {
  per_consumer: false,
  status_code_metrics: false,
  latency_metrics: false,
  bandwidth_metrics: false,
  upstream_health_metrics: false,
};

function record(conf: Partial<PrometheusConfig>, entry: unknown): Record<string, number[]> {
  const metrics = new MetricSet();
  prometheus.log?.({} as PluginRequest, { ...off, ...conf }, entry, {
    metrics,
  } as unknown as PluginEnvironment);
  return metrics.toWire();
}

const entry = {
  request: { size: 10 },
  response: { status: 201, size: 30 },
  latencies: { kong: 2, proxy: -1, request: 40 },
  route: { id: "route-id", name: null },
  service: { name: null, host: "svc.test" },
  consumer: { username: "ann" },
  source: "kong",
};

describe("prometheus (log phase)", () => {
  it("records nothing with every metric off, and nothing for a request that matched no route", () => {
    expect(record({}, entry)).toEqual({});
    expect(record({ status_code_metrics: true }, { ...entry, route: undefined })).toEqual({});
  });

  it("labels by the service's name or host, the route's name or id, Kong's source; consumer only per_consumer", () => {
    const key = (consumer: string) =>
      JSON.stringify([
        "kong_http_requests_total",
        "svc.test",
        "route-id",
        "201",
        "kong",
        "default",
        consumer,
      ]);
    expect(record({ status_code_metrics: true }, entry)).toEqual({ [key("")]: [1] });
    expect(record({ status_code_metrics: true, per_consumer: true }, entry)).toEqual({ [key("ann")]: [1] });
  });

  it("bandwidth by direction; latencies without the upstream's when there was none", () => {
    const wire = record({ bandwidth_metrics: true, latency_metrics: true }, entry);
    const bw = (d: string) =>
      wire[JSON.stringify(["kong_bandwidth_bytes", "svc.test", "route-id", d, "default", ""])];
    expect([bw("ingress"), bw("egress")]).toEqual([[10], [30]]);
    const names = Object.keys(wire).map((k) => JSON.parse(k)[0]);
    expect(names).toContain("kong_request_latency_ms");
    expect(names).toContain("kong_kong_latency_ms");
    expect(names).not.toContain("kong_upstream_latency_ms");
  });
});
