import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readPemOption } from "../../control-plane/node/pem-option";
import type { Conf } from "../../shared/conf/options";
import { LINTEL_VERSION } from "../../shared/version";
import { loadConf } from "../conf";
import { type LocalDp, startLocalDp } from "../local-dp";
import { CONF_OPTION } from "../node-options";
import { runUntilSignal } from "../run-until-signal";
import { dataPlaneProbe, startStatusServer } from "../status-server";

/** The bindings the Worker reads: the node's options as KONG_* variables, certificates inlined. */
export function dpBindings(conf: Conf): Record<string, string> {
  if (!conf.cluster_cert || !conf.cluster_cert_key) {
    throw new Error("cluster certificate and key must be provided to use Hybrid mode");
  }
  const cp = conf.cluster_control_plane;
  return {
    KONG_ROLE: "data_plane",
    KONG_CLUSTER_CERT: readPemOption("cluster_cert", conf.cluster_cert, "certificate"),
    KONG_CLUSTER_CERT_KEY: readPemOption("cluster_cert_key", conf.cluster_cert_key, "key"),
    KONG_CLUSTER_CONTROL_PLANE: /^wss?:\/\//.test(cp) ? cp : `ws://${cp}`,
    KONG_CLUSTER_MTLS: conf.cluster_mtls,
    KONG_CLUSTER_MAX_PAYLOAD: String(conf.cluster_max_payload),
    KONG_CLUSTER_DP_LABELS: Object.entries(conf.cluster_dp_labels)
      .map(([k, v]) => `${k}:${v}`)
      .join(","),
    KONG_CONFIG_CHECK_INTERVAL: String(conf.config_check_interval),
    KONG_DATA_PLANE_CONFIG_CACHE_MODE: conf.data_plane_config_cache_mode,
    KONG_HEADERS: [...conf.headers].join(",") || "off",
    KONG_HEADERS_UPSTREAM: [...conf.headers_upstream].join(",") || "off",
    KONG_TRUSTED_IPS: conf.trusted_ips.map((c) => c.text).join(",") || "NONE",
    KONG_REAL_IP_HEADER: conf.real_ip_header,
    KONG_REAL_IP_RECURSIVE: conf.real_ip_recursive ? "on" : "off",
    ...declarativeBinding(conf),
    ...(conf.cluster_server_name ? { KONG_CLUSTER_SERVER_NAME: conf.cluster_server_name } : {}),
    ...(conf.cluster_ca_cert
      ? { KONG_CLUSTER_CA_CERT: readPemOption("cluster_ca_cert", conf.cluster_ca_cert, "certificate") }
      : {}),
    ...(conf.cluster_trusted_certs
      ? {
          KONG_CLUSTER_TRUSTED_CERTS: readPemOption(
            "cluster_trusted_certs",
            conf.cluster_trusted_certs,
            "certificate",
          ),
        }
      : {}),
  };
}

/** `declarative_config` (a path) is read here; a Worker gets the text, as `declarative_config_string`. */
function declarativeBinding(conf: Conf): Record<string, string> {
  if (conf.declarative_config_string)
    return { KONG_DECLARATIVE_CONFIG_STRING: conf.declarative_config_string };
  if (!conf.declarative_config) return {};
  try {
    return { KONG_DECLARATIVE_CONFIG_STRING: readFileSync(conf.declarative_config, "utf8") };
  } catch (e) {
    throw new Error(`declarative_config: cannot read ${conf.declarative_config}: ${(e as Error).message}`);
  }
}

export async function startDpFromConf(conf: Conf): Promise<LocalDp> {
  const listen = conf.proxy_listen[0];
  if (!listen) throw new Error('proxy_listen must be specified when role = "data_plane"');
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  return startLocalDp({
    prefix: conf.prefix,
    host: listen.host.replace(/^\[|\]$/g, ""),
    port: listen.port,
    bindings: dpBindings(conf),
    // the proxy on workerd's own socket, as the edge runs the Worker: 2.6 times the requests a
    // second of the same Worker behind Miniflare's development Workers (BENCHMARKS.md)
    directSocket: true,
  });
}

export async function runDp(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: CONF_OPTION });
  const conf = loadConf({
    file: values.conf,
    env: process.env,
    overrides: { role: "data_plane" },
    warn: (m) => console.error(`warn: ${m}`),
  });
  const dp = await startDpFromConf(conf);
  const statusListen = conf.status_listen[0];
  const status = statusListen
    ? await startStatusServer(
        statusListen,
        dataPlaneProbe(dp, Boolean(conf.declarative_config || conf.declarative_config_string)),
      )
    : undefined;
  console.log(`Lintel ${LINTEL_VERSION} data plane
  Proxy           ${dp.url}${status ? `\n  Status API      ${status.url}/status/ready` : ""}
  Control plane   ${conf.cluster_control_plane}`);
  return runUntilSignal([() => dp.close(), ...(status ? [() => status.close()] : [])]);
}
