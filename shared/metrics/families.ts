/** The metrics Lintel exports, with Kong's names, help texts, types, labels and buckets. */

export type Family = {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  labels: readonly string[];
  /** Upper bounds of a histogram's buckets, ascending (`+Inf` is implied). */
  buckets?: readonly number[];
};

/** Kong's bucket bounds (ms) for its own latency, and for the upstream's and the whole request's. */
const KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000];
const UPSTREAM_LATENCY_BUCKETS = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000];

const ROUTE = ["service", "route", "workspace"] as const;

/** What the prometheus plugin records on a data plane, per request (Kong's exporter). */
export const DP_FAMILIES: readonly Family[] = [
  {
    name: "kong_http_requests_total",
    help: "HTTP status codes per consumer/service/route in Kong",
    type: "counter",
    labels: ["service", "route", "code", "source", "workspace", "consumer"],
  },
  {
    name: "kong_kong_latency_ms",
    help: "Latency added by Kong and enabled plugins for each service/route in Kong",
    type: "histogram",
    labels: ROUTE,
    buckets: KONG_LATENCY_BUCKETS,
  },
  {
    name: "kong_upstream_latency_ms",
    help: "Latency added by upstream response for each service/route in Kong",
    type: "histogram",
    labels: ROUTE,
    buckets: UPSTREAM_LATENCY_BUCKETS,
  },
  {
    name: "kong_request_latency_ms",
    help: "Total latency incurred during requests for each service/route in Kong",
    type: "histogram",
    labels: ROUTE,
    buckets: UPSTREAM_LATENCY_BUCKETS,
  },
  {
    name: "kong_bandwidth_bytes",
    help: "Total bandwidth (ingress/egress) throughput in bytes",
    type: "counter",
    labels: ["service", "route", "direction", "workspace", "consumer"],
  },
];

/** What a control plane reports of itself and of the data planes it has seen (Kong's exporter). */
export const CP_FAMILIES = {
  datastoreReachable: {
    name: "kong_datastore_reachable",
    help: "Datastore reachable from Kong, 0 is unreachable",
    type: "gauge",
    labels: [],
  },
  nodeInfo: {
    name: "kong_node_info",
    help: "Kong Node metadata information",
    type: "gauge",
    labels: ["node_id", "version"],
  },
  lastSeen: {
    name: "kong_data_plane_last_seen",
    help: "Last time data plane contacted control plane",
    type: "gauge",
    labels: ["node_id", "hostname", "ip"],
  },
  configHash: {
    name: "kong_data_plane_config_hash",
    help: "Config hash numeric value of the data plane",
    type: "gauge",
    labels: ["node_id", "hostname", "ip"],
  },
  upstreamTargetHealth: {
    name: "kong_upstream_target_health",
    help: "Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.",
    type: "gauge",
    labels: ["upstream", "target", "address", "state", "subsystem"],
  },
  versionCompatible: {
    name: "kong_data_plane_version_compatible",
    help: "Version compatible status of the data plane, 0 is incompatible",
    type: "gauge",
    labels: ["node_id", "hostname", "ip", "kong_version"],
  },
} as const satisfies Record<string, Family>;

const BY_NAME = new Map(DP_FAMILIES.map((f) => [f.name, f]));

export function dpFamily(name: string): Family | undefined {
  return BY_NAME.get(name);
}
