import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";
import { bundleWorker } from "../../cli/local-dp";
import { exportConfig } from "../../control-plane/cluster/export";
import { createDaos } from "../../control-plane/dao";
import type { Db } from "../../control-plane/db/client";
import { calculateConfigHash } from "../../shared/hash/config-hash";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

export type ManagedCp = {
  /** The Worker's origin: Admin API and `/v1/outlet` alike. */
  url: string;
  mf: Miniflare;
  /** What the Worker and the Hub logged, in order. */
  logs: string[];
  close(): Promise<void>;
};

/** Bundles the managed CP Worker as `wrangler deploy` would. */
export function bundleManagedCp(outfile: string): Promise<void> {
  return bundleWorker(join(ROOT, "managed-cp/worker.ts"), outfile, { nodeCompat: true });
}

/** Runs the managed CP Worker in workerd (Miniflare) with the given bindings. */
export async function startManagedCp(opts: {
  dir: string;
  bindings: Record<string, string>;
  port?: number;
  verbose?: boolean;
  /** Serve workerd's inspector (DevTools protocol) on this port: the benchmarks read heaps there. */
  inspectorPort?: number;
}): Promise<ManagedCp> {
  const script = join(opts.dir, "managed-cp", "worker.mjs");
  await bundleManagedCp(script);
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dirname(script),
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { HUB: { className: "ControlPlaneHub", useSQLite: true } },
    durableObjectsPersist: join(opts.dir, "managed-cp", "state"),
    bindings: opts.bindings,
    host: "127.0.0.1",
    port: opts.port ?? 0,
    log: new Log(opts.verbose ? LogLevel.DEBUG : LogLevel.WARN),
    ...(opts.inspectorPort === undefined ? {} : { inspectorPort: opts.inspectorPort }),
    handleStructuredLogs: ({ message }: { message: string }) => {
      logs.push(message);
      if (opts.verbose) console.error(message);
    },
  });
  const logs: string[] = [];
  const url = await mf.ready;
  return { url: url.origin, mf, logs, close: () => mf.dispose() };
}

/**
 * The bindings of a managed CP on the database at `databaseUrl`, reached through the test relay at
 * `relayUrl`, with the cluster certificate and the Admin API token; no polling (within a test a
 * write reaches the Hub because the Worker tells it).
 */
export function managedCpBindings(opts: {
  databaseUrl: string;
  relayUrl: string;
  certs: { certPem: string; keyPem: string };
  adminToken: string;
}): Record<string, string> {
  return {
    DATABASE_URL: opts.databaseUrl,
    DATABASE_WEBSOCKET_PROXY: opts.relayUrl,
    KONG_CLUSTER_CERT: opts.certs.certPem,
    KONG_CLUSTER_CERT_KEY: opts.certs.keyPem,
    KONG_ADMIN_TOKEN: opts.adminToken,
    KONG_DB_UPDATE_FREQUENCY: "60",
  };
}

/** The managed CP's Hub, for what it publishes. */
export async function hubOf(cp: ManagedCp): Promise<{ currentHash(): Promise<string | undefined> }> {
  const ns = await cp.mf.getDurableObjectNamespace("HUB");
  return ns.get(ns.idFromName("hub")) as unknown as { currentHash(): Promise<string | undefined> };
}

/** The config hash of what a database holds, as the Node CP computes it. */
export async function configHashOf(db: Db): Promise<string> {
  const { config } = await exportConfig(
    db,
    createDaos(db, () => undefined),
  );
  return calculateConfigHash(config as unknown as Record<string, unknown>).config;
}
