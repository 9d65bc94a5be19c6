import type { PluginHandler } from "../runtime/types";

export type PrometheusConfig = {
  per_consumer: boolean;
  status_code_metrics: boolean;
  latency_metrics: boolean;
  bandwidth_metrics: boolean;
  upstream_health_metrics: boolean;
};

/** Where the plugin records (the isolate's MetricSet). */
export interface MetricSink {
  add(name: string, labels: readonly string[], by: number): void;
  observe(name: string, labels: readonly string[], value: number): void;
}

/** The fields of Kong's log serializer the exporter reads. */
type Entry = {
  request?: { size?: number };
  response?: { status?: number; size?: number };
  latencies?: { kong?: number; proxy?: number; request?: number };
  route?: { id: string; name?: string | null };
  service?: { name?: string | null; host?: string } | null;
  consumer?: { username?: string | null };
  source?: "upstream" | "kong";
};

const WORKSPACE = "default";

/**
 * Kong's prometheus plugin: per request, what its config turns on (status codes, latencies,
 * bandwidth, each by service and route, and by consumer with `per_consumer`), recorded in the
 * isolate's metrics; the data plane sends them on to the CP, which serves them at `/metrics`.
 * Requests that matched no route are not recorded, as in Kong.
 */
export const prometheus: PluginHandler<PrometheusConfig> = {
  name: "prometheus",
  priority: 13,
  log(_req, conf, raw, env) {
    const e = raw as Entry;
    if (!e.route) return;
    const service = e.service ? (e.service.name ?? e.service.host ?? "") : "";
    const route = e.route.name ?? e.route.id;
    const consumer = conf.per_consumer ? (e.consumer?.username ?? "") : "";
    const m = env.metrics;
    if (conf.bandwidth_metrics) {
      const ingress = e.request?.size ?? 0;
      const egress = e.response?.size ?? 0;
      const labels = (direction: string) => [service, route, direction, WORKSPACE, consumer];
      if (ingress > 0) m.add("kong_bandwidth_bytes", labels("ingress"), ingress);
      if (egress > 0) m.add("kong_bandwidth_bytes", labels("egress"), egress);
    }
    if (conf.status_code_metrics && e.response?.status !== undefined) {
      const source = e.source === "upstream" ? "service" : "kong";
      m.add(
        "kong_http_requests_total",
        [service, route, String(e.response.status), source, WORKSPACE, consumer],
        1,
      );
    }
    const l = e.latencies;
    if (conf.latency_metrics && l) {
      const labels = [service, route, WORKSPACE];
      if (l.request !== undefined && l.request >= 0) m.observe("kong_request_latency_ms", labels, l.request);
      if (l.proxy !== undefined && l.proxy >= 0) m.observe("kong_upstream_latency_ms", labels, l.proxy);
      if (l.kong !== undefined && l.kong >= 0) m.observe("kong_kong_latency_ms", labels, l.kong);
    }
  },
};
