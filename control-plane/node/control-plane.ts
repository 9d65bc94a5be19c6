import { hostname } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { describeKeyError, loadClusterTrust } from "../../shared/cluster/cluster-trust";
import { CLUSTER_AUDIENCE, ReplayGuard } from "../../shared/cluster/handshake";
import { type ClusterIdentity, loadClusterIdentity } from "../../shared/cluster/keys";
import { certificateExpiry } from "../../shared/cluster/pki";
import type { Conf } from "../../shared/conf/options";
import { LatestOnly } from "../../shared/util/latest-only";
import { KONG_VERSION } from "../../shared/version";
import { createAdminApp } from "../admin/app";
import { DataPlaneStore } from "../cluster/data-planes";
import { readConfigState } from "../cluster/export";
import { Hub } from "../cluster/hub";
import { Publisher, type Snapshot } from "../cluster/publisher";
import { createDaos } from "../dao";
import { CONFIG_CHANNEL } from "../dao/config-version";
import { type Database, openPglite, openPostgres } from "../db/client";
import { checkAdminExposure, serveAdmin } from "./admin-server";
import { createClusterListener } from "./cluster-listener";
import { DeflateThreads } from "./deflate-threads";
import { keepSnapshot, type NotKept, readKeptSnapshot } from "./kept-snapshot";
import { loadNodeId } from "./node-id";
import { readPemOption } from "./pem-option";
import { RestThread } from "./rest-thread";

export type ControlPlane = {
  nodeId: string;
  reload(): Promise<void>;
  adminUrl: string;
  /** Who may use the Admin API, for start-up output. */
  adminAccess: string;
  clusterUrl: string;
  database: string;
  hub: Hub;
  publisher: Publisher;
  /** Whether the database answers now: the CP's readiness in Kong's Status API. */
  databaseReachable(): Promise<boolean>;
  close(): Promise<void>;
};

/** The database a node uses: Postgres when `pg_host` or `DATABASE_URL` is set, else embedded PGlite. */
export function openDatabase(conf: Conf, env: NodeJS.ProcessEnv): Database {
  if (env.DATABASE_URL) return openPostgres({ connectionString: env.DATABASE_URL });
  if (conf.pg_host) {
    return openPostgres({
      host: conf.pg_host,
      port: conf.pg_port,
      user: conf.pg_user,
      password: conf.pg_password,
      database: conf.pg_database,
      ssl: conf.pg_ssl,
    });
  }
  return openPglite(join(conf.prefix, "pgdata"));
}

export async function loadIdentity(
  conf: Conf,
): Promise<{ identity: ClusterIdentity; certPem: string; keyPem: string }> {
  if (!conf.cluster_cert || !conf.cluster_cert_key) {
    throw new Error("cluster certificate and key must be provided to use Hybrid mode");
  }
  const certPem = readPemOption("cluster_cert", conf.cluster_cert, "certificate");
  const keyPem = readPemOption("cluster_cert_key", conf.cluster_cert_key, "key");
  const identity = await loadClusterIdentity(certPem, keyPem);
  if (!identity.ok) {
    const why = {
      no_certificate: `cluster_cert: failed loading certificate from ${conf.cluster_cert}`,
      no_private_key: `cluster_cert_key: failed loading key from ${conf.cluster_cert_key}`,
      unsupported_key: "cluster_cert_key: only EC (P-256, P-384, P-521) and RSA keys are supported",
      key_mismatch: "cluster_cert_key: the key does not belong to cluster_cert",
    }[identity.error.reason];
    throw new Error(why);
  }
  return { identity: identity.value, certPem, keyPem };
}

/**
 * The cluster certificates as configured: the CP's identity (and the `kid` of its signatures) and
 * whom it lets in. Shared mode trusts `cluster_cert` plus `cluster_trusted_certs` (a rotation);
 * PKI mode chains to `cluster_ca_cert`.
 */
async function readClusterTrust(conf: Conf, log: (m: string) => void) {
  const { certPem, keyPem } = await loadIdentity(conf);
  const trust = await loadClusterTrust({
    mtls: conf.cluster_mtls,
    certPem,
    keyPem,
    trustedCertsPem: conf.cluster_trusted_certs
      ? readPemOption("cluster_trusted_certs", conf.cluster_trusted_certs, "certificate")
      : undefined,
    caCertPem:
      conf.cluster_mtls === "pki"
        ? readPemOption("cluster_ca_cert", conf.cluster_ca_cert ?? "", "certificate")
        : undefined,
    ocsp: conf.cluster_ocsp,
    warn: log,
  });
  if (!trust.ok)
    throw new Error(describeKeyError(trust.error, { cert: "cluster_cert", key: "cluster_cert_key" }));
  return { ...trust.value, certPem, keyPem };
}

/** Starts a control plane node: Admin API on `admin_listen`, the Hub on `cluster_listen`. */
export async function startControlPlane(
  conf: Conf,
  opts: { env?: NodeJS.ProcessEnv; log?: (m: string) => void } = {},
): Promise<ControlPlane> {
  const log = opts.log ?? ((m: string) => console.error(m));
  if (conf.cluster_mtls === "pki" && !conf.cluster_ca_cert) {
    throw new Error('cluster_ca_cert must be specified when cluster_mtls = "pki"');
  }
  if (conf.cluster_ocsp !== "off" && conf.cluster_mtls !== "pki") {
    throw new Error('cluster_ocsp setting only works when cluster_mtls is set to "pki"');
  }
  const admin = conf.admin_listen[0];
  const cluster = conf.cluster_listen[0];
  if (!admin) throw new Error('admin_listen must be specified when role = "control_plane"');
  const adminAccess = checkAdminExposure(conf);
  if (!cluster) throw new Error('cluster_listen must be specified when role = "control_plane"');

  let trust = await readClusterTrust(conf, log);

  const database = openDatabase(conf, opts.env ?? process.env);
  await database.migrate();
  const nodeId = loadNodeId(conf.prefix);
  const store = new DataPlaneStore(database.db, conf.cluster_data_plane_purge_delay);

  let publisher: Publisher | undefined;
  const daos = createDaos(database.db, () => {
    publisher?.schedule().catch((e) => log(`[lintel] cluster: export failed: ${e}`));
  });
  const hub = new Hub({
    store,
    cpVersion: KONG_VERSION,
    trust: trust.policy,
    replay: new ReplayGuard(),
    audience: CLUSTER_AUDIENCE,
    current: () => publisher?.snapshot,
    certificateExpiry,
    log,
  });
  const deflate = new DeflateThreads();
  // on a Postgres server, the rest of the config (consumers, credentials, certificates) is built
  // on a thread of its own at the same snapshot; PGlite is one connection in this process
  const rest = database.postgres && new RestThread(database.postgres);
  publisher = new Publisher({
    deflate: deflate.deflate,
    rest,
    db: database.db,
    read: database.read,
    daos,
    identity: trust.identity,
    kid: trust.kid,
    cpId: nodeId,
    pollInterval: conf.db_update_frequency * 1000,
    maxPayload: conf.cluster_max_payload,
    onSnapshot: (s) => {
      hub.publish(s);
      keeper.offer({ snapshot: s, kid: trust.kid });
    },
    log,
  });
  // the last snapshot this node signed, served until the first build is done if nothing changed
  const keptPath = join(conf.prefix, KEPT_SNAPSHOT);
  const keeper = new LatestOnly<{ snapshot: Snapshot; kid: string }>(
    ({ snapshot, kid }) => keepSnapshot(keptPath, snapshot, kid),
    (e) => log(`[lintel] cluster: could not keep the snapshot in ${keptPath}: ${e}`),
  );
  const kept = await readKeptSnapshot(keptPath, {
    kid: trust.kid,
    signer: trust.identity.chain[0] as Uint8Array,
    maxPayload: conf.cluster_max_payload,
    current: () => readConfigState(database.db),
  });
  if (kept.ok) {
    publisher.restore(kept.snapshot);
    log(
      `[lintel] cluster: serving the snapshot kept in ${keptPath} (config version ${kept.snapshot.manifest.version}) while the first build runs`,
    );
  } else if (kept.why.reason !== "none") log(`[lintel] cluster: ${notKept(keptPath, kept.why)}; building`);
  await publisher.start();
  // writes made by other CP nodes on the same database: pushed as soon as they commit
  const unlisten = await database.listen(
    CONFIG_CHANNEL,
    () => void publisher?.schedule().catch((e) => log(`[lintel] cluster: export failed: ${e}`)),
    log,
  );
  const reaper = setInterval(() => hub.reap(), 5000);
  reaper.unref();

  const app = createAdminApp({
    db: database.db,
    daos,
    dataPlanes: store,
    nodeId,
    hostname: hostname(),
    configuration: { role: conf.role, database: database.describe, cluster_mtls: conf.cluster_mtls },
    currentHash: () => publisher?.snapshot?.manifest.config_hash,
    targetHealth: () => hub.targetHealth(),
    dataPlaneMetrics: () => hub.dataPlaneMetrics(),
    adminToken: conf.admin_token,
    log,
  });
  const adminServers = await serveAdmin(conf, app.fetch);
  const { server: clusterServer, wss } = createClusterListener(
    hub,
    log,
    cluster.ssl ? { cert: trust.certPem, key: trust.keyPem } : undefined,
  );
  await new Promise<void>((resolve, reject) => {
    clusterServer.once("error", reject);
    clusterServer.listen(cluster.port, unbracket(cluster.host), () => resolve());
  });

  const addr = (s: { address(): unknown }) => (s.address() as { port: number }).port;
  return {
    nodeId,
    adminUrl: adminServers[0]?.url ?? "",
    adminAccess,
    clusterUrl: `${cluster.ssl ? "wss" : "ws"}://${displayHost(cluster.host)}:${addr(clusterServer)}`,
    database: database.describe,
    hub,
    publisher,
    /**
     * Re-reads the cluster certificates (SIGHUP): DPs are checked against the new trust from now on,
     * and snapshots are signed with the new key, the current one at once. No restart, no dropped DP.
     */
    async reload() {
      trust = await readClusterTrust(conf, log);
      hub.setTrust(trust.policy);
      if ("setSecureContext" in clusterServer) {
        clusterServer.setSecureContext({ cert: trust.certPem, key: trust.keyPem });
      }
      await publisher?.setSigner(trust.identity, trust.kid);
      log(`[lintel] cluster: certificates reloaded; signing as ${trust.kid}`);
    },
    databaseReachable: () =>
      database.db.execute(sql`select 1`).then(
        () => true,
        () => false,
      ),
    async close() {
      clearInterval(reaper);
      await unlisten();
      publisher?.stop();
      // a build under way ends before its database closes, unless that database no longer answers
      await Promise.race([
        publisher?.idle(),
        new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref()),
      ]);
      hub.closeAll();
      wss.close();
      await new Promise<void>((r) => clusterServer.close(() => r()));
      for (const { server } of adminServers) await new Promise<void>((r) => server.close(() => r()));
      await database.close();
      await deflate.close();
      await rest?.close();
      await keeper.idle();
    },
  };
}

/** How long a close waits for a build under way. */
const CLOSE_WAIT_MS = 10_000;

/** The file in the prefix that holds the last snapshot the node signed. */
export const KEPT_SNAPSHOT = "cluster-snapshot";

function notKept(path: string, why: Exclude<NotKept, { reason: "none" }>): string {
  switch (why.reason) {
    case "unreadable":
      return `the snapshot kept in ${path} is not used: ${why.detail}`;
    case "other_key":
      return `the snapshot kept in ${path} was signed with another certificate (${why.kid})`;
    case "other_lintel":
      return `the snapshot kept in ${path} was built by Lintel ${why.lintel}`;
    case "out_of_date":
      return `the snapshot kept in ${path} is of config version ${why.kept.version}; the database has changed since`;
  }
}

const unbracket = (host: string) => host.replace(/^\[|\]$/g, "");
const displayHost = (host: string) => (host === "0.0.0.0" ? "127.0.0.1" : host);
