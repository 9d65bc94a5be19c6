import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";
import { bundleWorker } from "../../cli/local-dp";

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
