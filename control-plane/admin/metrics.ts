import { sql } from "drizzle-orm";
import type { Hono } from "hono";
import { Exposition } from "../../shared/metrics/exposition";
import { CP_FAMILIES } from "../../shared/metrics/families";
import { MetricSet } from "../../shared/metrics/metric-set";
import { KONG_VERSION } from "../../shared/version";
import type { DataPlaneDirectory, SyncStatus } from "../cluster/data-planes";
import type { DataPlaneMetrics } from "../cluster/hub";
import type { Db } from "../db/client";

const INCOMPATIBLE: ReadonlySet<SyncStatus> = new Set([
  "kong_version_incompatible",
  "plugin_set_incompatible",
  "plugin_version_incompatible",
]);

export type MetricsDeps = {
  db: Db;
  dataPlanes: DataPlaneDirectory;
  nodeId: string;
  now: () => number;
  currentHash: () => string | undefined | Promise<string | undefined>;
  /** The metrics the connected data planes report. */
  reports: () => Promise<DataPlaneMetrics[]> | DataPlaneMetrics[];
  log: (message: string) => void;
};

/**
 * Kong's `/metrics` (the prometheus plugin's Admin API endpoint) on a control plane: the node's
 * own gauges (node info, datastore reachable, every DP's last seen, config hash and version
 * compatibility), and the prometheus plugin's metrics of every connected data plane, each series
 * with a `node_id` label naming its DP. Kong's data planes are scraped one by one; Lintel's run as
 * Workers with no listener of their own, so their metrics are served here.
 */
export function mountMetrics(app: Hono, deps: MetricsDeps): void {
  app.get("/metrics", async (c) => {
    const out = new Exposition();
    out.add(CP_FAMILIES.nodeInfo, [deps.nodeId, KONG_VERSION], [1]);
    let reachable = 1;
    try {
      await deps.db.execute(sql`select 1`);
    } catch (e) {
      reachable = 0;
      deps.log(`[lintel] prometheus: failed to reach database while processing /metrics endpoint: ${e}`);
    }
    out.add(CP_FAMILIES.datastoreReachable, [], [reachable]);
    if (reachable) await addDataPlanes(out, deps);
    for (const report of await deps.reports()) {
      const set = new MetricSet();
      set.merge(report.metrics);
      for (const s of set.entries()) out.add(s.family, s.labels, s.values, ["node_id", report.nodeId]);
    }
    return c.body(out.text(), 200, { "content-type": "text/plain; charset=UTF-8" });
  });
}

async function addDataPlanes(out: Exposition, deps: MetricsDeps): Promise<void> {
  const hash = await deps.currentHash();
  let after: string | undefined;
  do {
    const page = await deps.dataPlanes.page(1000, after, deps.now(), hash);
    for (const dp of page.data) {
      const labels = [dp.id, dp.hostname, dp.ip];
      out.add(CP_FAMILIES.lastSeen, labels, [dp.last_seen]);
      out.add(CP_FAMILIES.configHash, labels, [Number(BigInt(`0x${dp.config_hash}`))]);
      out.add(
        CP_FAMILIES.versionCompatible,
        [...labels, dp.version],
        [INCOMPATIBLE.has(dp.sync_status) ? 0 : 1],
      );
    }
    after = page.offset;
  } while (after);
}
