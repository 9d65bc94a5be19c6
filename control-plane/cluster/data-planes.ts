import { asc, gt, lt } from "drizzle-orm";
import { PING_WAIT } from "../../shared/cluster/messages";
import type { Db } from "../db/client";
import { clusteringDataPlanes } from "../db/schema";

export type DataPlaneRecord = {
  id: string;
  hostname: string;
  ip: string;
  /** Seconds since the epoch. */
  last_seen: number;
  config_hash: string;
  version: string;
  sync_status: SyncStatus;
  labels: Record<string, string> | null;
  cert_details: { expiry_timestamp?: number } | null;
};

/** Kong's `CLUSTERING_SYNC_STATUS` values. */
export type SyncStatus =
  | "unknown"
  | "normal"
  | "kong_version_incompatible"
  | "plugin_set_incompatible"
  | "plugin_version_incompatible";

export type DataPlanePage = {
  data: Array<DataPlaneRecord & { ttl: number }>;
  /** Kong's opaque offset of the next page, when there is one. */
  offset?: string;
};

/**
 * What the cluster knows of each DP, kept until purged after `cluster_data_plane_purge_delay`:
 * Kong's `clustering_data_planes` table on a Node CP, the Hub Durable Object's storage on the
 * managed CP.
 */
export interface DataPlaneDirectory {
  upsert(dp: DataPlaneRecord): Promise<void>;
  /**
   * A page of data planes ordered by id, after `after`, with Kong's `ttl` (seconds until purged);
   * expired entries are purged first.
   */
  page(
    size: number,
    after: string | undefined,
    now: number,
    currentHash: string | undefined,
  ): Promise<DataPlanePage>;
}

/** The `clustering_data_planes` table. */
export class DataPlaneStore implements DataPlaneDirectory {
  constructor(
    private readonly db: Db,
    /** `cluster_data_plane_purge_delay`, seconds. */
    private readonly purgeDelay: number,
  ) {}

  async upsert(dp: DataPlaneRecord): Promise<void> {
    const { id, ...rest } = dp;
    await this.db
      .insert(clusteringDataPlanes)
      .values({ ...dp, updated_at: dp.last_seen })
      .onConflictDoUpdate({ target: clusteringDataPlanes.id, set: { ...rest, updated_at: dp.last_seen } });
  }

  async page(size: number, after: string | undefined, now: number, currentHash: string | undefined) {
    await this.db
      .delete(clusteringDataPlanes)
      .where(lt(clusteringDataPlanes.last_seen, now - this.purgeDelay));
    const rows = await this.db
      .select()
      .from(clusteringDataPlanes)
      .where(after ? gt(clusteringDataPlanes.id, after) : undefined)
      .orderBy(asc(clusteringDataPlanes.id))
      .limit(size + 1);
    return presentPage(
      rows.map(({ updated_at: _u, ...r }) => ({ ...r, sync_status: r.sync_status as SyncStatus })),
      { size, now, currentHash, purgeDelay: this.purgeDelay },
    );
  }
}

/**
 * Shapes up to `size + 1` rows, ordered by id, as Kong lists them. `sync_status` is `normal` only
 * for a DP that pinged recently with `currentHash`: unlike Kong, a DP that went away or serves an
 * older config is not shown as in sync.
 */
export function presentPage(
  rows: DataPlaneRecord[],
  opts: { size: number; now: number; currentHash: string | undefined; purgeDelay: number },
): DataPlanePage {
  const data = rows.slice(0, opts.size).map((r) => ({
    ...r,
    sync_status: liveStatus(r, opts.now, opts.currentHash),
    ttl: Math.max(0, r.last_seen + opts.purgeDelay - opts.now),
  }));
  const last = data[data.length - 1];
  const offset =
    rows.length > opts.size && last ? btoa(JSON.stringify([last.id])).replace(/=+$/, "") : undefined;
  return { data, offset };
}

function liveStatus(r: DataPlaneRecord, now: number, currentHash: string | undefined): SyncStatus {
  if (r.sync_status !== "normal" && r.sync_status !== "unknown") return r.sync_status;
  return r.config_hash === currentHash && now - r.last_seen <= PING_WAIT ? "normal" : "unknown";
}
