import { type Conf, fromEnvironment, parseConf } from "../shared/conf/options";
import { err, ok, type Result } from "../shared/util/result";
import type { DataPlaneNode } from "./dp-node";
import type { RateLimitCounter } from "./rate-counter";

/** The edge-dp Worker's bindings: Kong's options as `KONG_*` variables, plus the DP node namespace. */
export type Env = {
  DP_NODE: DurableObjectNamespace<DataPlaneNode>;
  /** The counters of the rate-limiting plugin. */
  RATE_LIMITS?: DurableObjectNamespace<RateLimitCounter>;
  /** Optional: the config cache for cold starts (`data_plane_config_cache_mode`). */
  CONFIG_CACHE?: KVNamespace;
  KONG_CLUSTER_CERT?: string;
  KONG_CLUSTER_CERT_KEY?: string;
  KONG_CLUSTER_CONTROL_PLANE?: string;
  [key: string]: unknown;
};

export type DpConf = Conf & { cluster_cert: string; cluster_cert_key: string; controlPlaneUrl: string };

const cache = new WeakMap<object, Result<DpConf, string[]>>();

/**
 * Reads the options once per set of bindings, with the messages of `kong.conf`. Certificates come
 * as PEM or base64 PEM text (a Worker has no files).
 */
export function dpConf(env: Env): Result<DpConf, string[]> {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = parseConf(fromEnvironment(env).values);
  let result: Result<DpConf, string[]>;
  if (!parsed.ok) {
    result = parsed;
  } else if (parsed.value.cluster_mtls === "pki" && !parsed.value.cluster_ca_cert) {
    result = err(['cluster_ca_cert must be specified when cluster_mtls = "pki" (KONG_CLUSTER_CA_CERT)']);
  } else if (!parsed.value.cluster_cert || !parsed.value.cluster_cert_key) {
    result = err([
      "cluster certificate and key must be provided to use Hybrid mode (KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY)",
    ]);
  } else {
    const url = controlPlaneUrl(parsed.value.cluster_control_plane);
    result =
      typeof url === "string"
        ? ok({
            ...parsed.value,
            cluster_cert: parsed.value.cluster_cert,
            cluster_cert_key: parsed.value.cluster_cert_key,
            controlPlaneUrl: url,
          })
        : err([url.error]);
  }
  cache.set(env, result);
  return result;
}

/**
 * `cluster_control_plane` as Kong takes it (`host:port`, spoken over TLS), or a full `ws://` or
 * `wss://` URL: plain WebSocket is for local development, where workerd cannot present a client
 * certificate.
 */
export function controlPlaneUrl(value: string): string | { error: string } {
  const full = /^(wss?):\/\/([^/?#]+)\/?$/.exec(value);
  if (full) return `${full[1] === "wss" ? "https" : "http"}://${full[2]}/v1/outlet`;
  if (/^[^/:\s]+:\d+$/.test(value) || /^\[[0-9a-fA-F:]+\]:\d+$/.test(value))
    return `https://${value}/v1/outlet`;
  return {
    error: `cluster_control_plane must be of form <host>:<port> or ws(s)://<host>:<port>, got '${value}'`,
  };
}
