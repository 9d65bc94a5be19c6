import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The compatibility date of the edge-dp Worker; wrangler.toml says the same. */
export const COMPATIBILITY_DATE = "2026-04-20";

export type LocalDpOptions = {
  prefix: string;
  host: string;
  port: number;
  /** The Worker's bindings: Kong's options as KONG_* variables. */
  bindings: Record<string, string>;
  /** Name of the DP node (what `request.cf.colo` is at the edge). */
  nodeName?: string;
  verbose?: boolean;
  /**
   * Log warnings and errors only. Miniflare otherwise logs every request, through a call from
   * workerd back to this process: the benchmarks would measure that too.
   */
  quiet?: boolean;
  /** Another Worker entry to run the same way (the benchmark's baseline). */
  entry?: string;
  /**
   * Wake the DP node at start so that it connects to the CP before the first request (default).
   * The benchmark's baseline, which has no CP, leaves it asleep.
   */
  wakeNode?: boolean;
  /** Serve workerd's inspector (DevTools protocol) on this port: the benchmarks read heaps there. */
  inspectorPort?: number;
  /**
   * Serve the Worker on workerd's own socket, as the edge runs it, without Miniflare's development
   * Workers around it (one in front that adds `request.cf`, rewrites `Accept-Encoding` and logs,
   * one behind that strips `CF-Connecting-IP` from each subrequest: together about 70 % of a bare
   * Worker's work per request). `lintel dp` and `lintel start` serve the proxy so; the tests that
   * set `request.cf` per request (a colo each) go through Miniflare's entry. `request.cf` is then
   * absent (the colo is the node's name, "local"); a client's `CF-Connecting-IP` is taken as it
   * came, as through Miniflare's entry. `LocalDp.mf.dispatchFetch` still goes through the entry.
   */
  directSocket?: boolean;
};

export type NodeStatus = {
  node_id: string;
  connected: boolean;
  config_hash: string;
  version: number | null;
  /** Whether the config's consumers and credentials are in the node's storage, for lookups. */
  consumers_stored: boolean;
};

export type LocalDp = {
  url: string;
  mf: Miniflare;
  nodeName: string;
  /** The DP node's own account of itself. */
  nodeStatus(): Promise<NodeStatus>;
  close(): Promise<void>;
};

/**
 * Bundles a Worker as `wrangler deploy` would (`node:*` left to the runtime, for a Worker with
 * `nodejs_compat`).
 */
export async function bundleWorker(
  entry: string,
  outfile: string,
  opts: { nodeCompat?: boolean } = {},
): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: opts.nodeCompat ? ["cloudflare:*", "node:*"] : ["cloudflare:*"],
    logLevel: "error",
  });
}

/** Bundles the edge-dp Worker as `wrangler deploy` would. */
export function bundleEdgeDp(outfile: string, entry = join(ROOT, "edge-dp/worker.ts")): Promise<void> {
  return bundleWorker(entry, outfile);
}

/** Runs the edge-dp Worker in workerd (Miniflare) on `host:port`, state kept under the prefix. */
export async function startLocalDp(opts: LocalDpOptions): Promise<LocalDp> {
  // the Worker names its node by `request.cf.colo`, which only Miniflare's entry adds
  if (opts.directSocket && (opts.nodeName ?? "local") !== "local")
    throw new Error(
      `a DP served on workerd's own socket has no request.cf: its node is "local", not "${opts.nodeName}"`,
    );
  const script = join(opts.prefix, "dp", "worker.mjs");
  await bundleEdgeDp(script, opts.entry);
  const nodeName = opts.nodeName ?? "local";
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dirname(script),
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: {
      DP_NODE: { className: "DataPlaneNode", useSQLite: true },
      RATE_LIMITS: { className: "RateLimitCounter", useSQLite: true },
    },
    durableObjectsPersist: join(opts.prefix, "dp", "state"),
    kvNamespaces: ["CONFIG_CACHE"],
    kvPersist: join(opts.prefix, "dp", "kv"),
    bindings: { ...opts.bindings },
    cf: { colo: nodeName },
    ...(opts.directSocket
      ? {
          unsafeDirectSockets: [{ host: opts.host, port: opts.port }],
          stripCfConnectingIp: false,
          // Miniflare's own entry, which the proxy's traffic does not pass: not announced
          logRequests: false,
        }
      : {}),
    host: opts.host,
    // with a direct socket, Miniflare's own entry listens wherever it finds room
    port: opts.directSocket ? 0 : opts.port,
    log: new Log(opts.verbose ? LogLevel.DEBUG : opts.quiet ? LogLevel.WARN : LogLevel.INFO),
    ...(opts.inspectorPort === undefined ? {} : { inspectorPort: opts.inspectorPort }),
  });
  const entryUrl = await mf.ready;
  const url = opts.directSocket ? await mf.unsafeGetDirectURL() : entryUrl;
  // Wake the DP node so that it connects to the CP before the first request arrives.
  const ns = await mf.getDurableObjectNamespace("DP_NODE");
  const node = ns.get(ns.idFromName(nodeName));
  const nodeStatus = async (): Promise<NodeStatus> => {
    const res = await node.fetch(`http://dp-node/connect?name=${encodeURIComponent(nodeName)}`);
    return (await res.json()) as NodeStatus;
  };
  if (opts.wakeNode !== false) await nodeStatus();
  return {
    url: url.origin,
    mf,
    nodeName,
    nodeStatus,
    close: () => mf.dispose(),
  };
}
