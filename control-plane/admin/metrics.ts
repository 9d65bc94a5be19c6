import { sql } from "drizzle-orm";
import type { Hono } from "hono";
import { Exposition } from "../../shared/metrics/exposition";
import { CP_FAMILIES } from "../../shared/metrics/families";
import { MetricSet } from "../../shared/metrics/metric-set";
import { KONG_VERSION } from "../../shared/version";
import type { DataPlaneDirectory, SyncStatus } from "../cluster/data-planes";
import type { DataPlaneMetrics } from "../cluster/hub";
import type { Daos } from "../dao";
import type { Db } from "../db/client";
import { type Checks, checksOn, type TargetHealthReports, targetKey } from "./upstream-health";

const INCOMPATIBLE: ReadonlySet<SyncStatus> = new Set([
  "kong_version_incompatible",
  "plugin_set_incompatible",
  "plugin_version_incompatible",
]);

export type MetricsDeps = {
  db: Db;
  daos: Daos;
  /** What the connected data planes report of targets' health. */
  targetHealth: () => Promise<TargetHealthReports> | TargetHealthReports;
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
 * compatibility), the prometheus plugin's metrics of every connected data plane, each series
 * with a `node_id` label naming its DP, and, when a prometheus plugin asks for
 * `upstream_health_metrics`, each target's health as the data planes report it. Kong's data planes are scraped one by one; Lintel's run as
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
    if (reachable) {
      await addDataPlanes(out, deps);
      await addTargetHealth(out, deps);
    }
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

const STATES = ["healthchecks_off", "healthy", "unhealthy", "dns_error"] as const;

/**
 * Kong's `kong_upstream_target_health`, when an enabled prometheus plugin has
 * `upstream_health_metrics`: one series per state, 1 for the target's. A target is unhealthy when
 * a data plane's active checks found it so (as `/upstreams/{u}/health`); the address is the
 * target itself, as data planes connect to it by name.
 */
async function addTargetHealth(out: Exposition, deps: MetricsDeps): Promise<void> {
  const plugins = await deps.daos.plugins.all();
  const wanted = plugins.some(
    (p) =>
      p.name === "prometheus" &&
      p.enabled !== false &&
      (p.config as { upstream_health_metrics?: boolean } | null)?.upstream_health_metrics === true,
  );
  if (!wanted) return;
  const upstreams = new Map((await deps.daos.upstreams.all()).map((u) => [u.id, u]));
  const reports = await deps.targetHealth();
  for (const t of await deps.daos.targets.all()) {
    const upstream = upstreams.get((t.upstream as { id: string } | null)?.id ?? "");
    if (!upstream) continue;
    const target = String(t.target);
    const state = !checksOn(upstream.healthchecks as Checks | null)
      ? "healthchecks_off"
      : (reports[targetKey(upstream.id, target)] ?? []).some((r) => r.health === "UNHEALTHY")
        ? "unhealthy"
        : "healthy";
    for (const s of STATES) {
      out.add(
        CP_FAMILIES.upstreamTargetHealth,
        [String(upstream.name), target, target, s, "http"],
        [s === state ? 1 : 0],
      );
    }
  }
}
