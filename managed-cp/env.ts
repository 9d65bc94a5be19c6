import { describeKeyError } from "../shared/cluster/cluster-trust";
import { loadClusterIdentity } from "../shared/cluster/keys";
import { type Conf, fromEnvironment, parseConf } from "../shared/conf/options";
import { err, ok, type Result } from "../shared/util/result";
import type { WebSocketProxy } from "./db";
import type { ControlPlaneHub } from "./hub-object";

/**
 * The managed control plane's bindings: Kong's options as `KONG_*` variables (certificates and
 * the admin token as secrets), the database and the Hub Durable Object.
 */
export type Env = {
  HUB: DurableObjectNamespace<ControlPlaneHub>;
  /** The Postgres database (a Neon URL, or any Postgres behind `DATABASE_WEBSOCKET_PROXY`). */
  DATABASE_URL?: string;
  /**
   * A WebSocket-to-TCP proxy in front of a Postgres that is not Neon's, as `ws(s)://host[:port]/path`
   * (Neon's `wsProxy`); the database's host and port are appended as `?address=`.
   */
  DATABASE_WEBSOCKET_PROXY?: string;
  [key: string]: unknown;
};

export type CpConf = Conf & {
  cluster_cert: string;
  cluster_cert_key: string;
  admin_token: string;
  databaseUrl: string;
  webSocketProxy?: WebSocketProxy;
};

const cache = new WeakMap<object, Result<CpConf, string[]>>();

/**
 * Reads the options once per set of bindings, every problem at once, each naming its option and
 * binding. Values of secrets never appear in a message.
 */
export function cpConf(env: Env): Result<CpConf, string[]> {
  const hit = cache.get(env);
  if (hit) return hit;
  const result = read(env);
  cache.set(env, result);
  return result;
}

function read(env: Env): Result<CpConf, string[]> {
  const parsed = parseConf({ role: "control_plane", ...fromEnvironment(env).values });
  if (!parsed.ok) return parsed;
  const conf = parsed.value;
  const errors: string[] = [];
  if (!conf.cluster_cert || !conf.cluster_cert_key) {
    errors.push(
      "cluster certificate and key must be provided to use Hybrid mode (secrets KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY)",
    );
  }
  if (conf.cluster_mtls === "pki" && !conf.cluster_ca_cert) {
    errors.push('cluster_ca_cert must be specified when cluster_mtls = "pki" (KONG_CLUSTER_CA_CERT)');
  }
  if (conf.cluster_ocsp !== "off" && conf.cluster_mtls !== "pki") {
    errors.push('cluster_ocsp setting only works when cluster_mtls is set to "pki"');
  }
  if (!conf.admin_token) {
    errors.push(
      "admin_token must be set on a managed control plane, whose Admin API is reachable from the internet (secret KONG_ADMIN_TOKEN)",
    );
  }
  const databaseUrl = typeof env.DATABASE_URL === "string" ? env.DATABASE_URL : "";
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    errors.push("DATABASE_URL must be set to a postgres:// URL (secret DATABASE_URL)");
  }
  let webSocketProxy: WebSocketProxy | undefined;
  if (typeof env.DATABASE_WEBSOCKET_PROXY === "string" && env.DATABASE_WEBSOCKET_PROXY !== "") {
    const m = /^(wss?):\/\/([^?#]+)$/.exec(env.DATABASE_WEBSOCKET_PROXY);
    if (m) webSocketProxy = { secure: m[1] === "wss", target: m[2] as string };
    else
      errors.push(
        `DATABASE_WEBSOCKET_PROXY must be a ws:// or wss:// URL, got '${env.DATABASE_WEBSOCKET_PROXY}'`,
      );
  }
  if (errors.length) return err(errors);
  return ok({
    ...conf,
    cluster_cert: conf.cluster_cert as string,
    cluster_cert_key: conf.cluster_cert_key as string,
    admin_token: conf.admin_token as string,
    databaseUrl,
    webSocketProxy,
  });
}

const identities = new WeakMap<object, Promise<string | undefined>>();

/**
 * What is wrong with the cluster certificate and key, if anything (read once per set of bindings):
 * the Admin API reports it as it reports a bad option, rather than only the Hub's log.
 */
export function identityProblem(env: Env, conf: CpConf): Promise<string | undefined> {
  let hit = identities.get(env);
  if (!hit) {
    hit = loadClusterIdentity(conf.cluster_cert, conf.cluster_cert_key).then((r) =>
      r.ok ? undefined : describeKeyError(r.error, CLUSTER_KEY_NAMES),
    );
    identities.set(env, hit);
  }
  return hit;
}

export const CLUSTER_KEY_NAMES = {
  cert: "cluster_cert (KONG_CLUSTER_CERT)",
  key: "cluster_cert_key (KONG_CLUSTER_CERT_KEY)",
};
