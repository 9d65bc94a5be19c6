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

/** The `clustering_data_planes` table: what the cluster knows of each DP, kept until purged. */
export class DataPlaneStore {
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

  /**
   * A page of data planes, with Kong's `ttl` (seconds until purged); expired entries are purged.
   * `sync_status` is `normal` only for a DP that pinged recently with `currentHash`: unlike Kong,
   * a DP that went away or serves an older config is not shown as in sync.
   */
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
    const data = rows.slice(0, size).map(({ updated_at: _u, ...r }) => ({
      ...r,
      sync_status: liveStatus(r.sync_status as SyncStatus, r.config_hash, r.last_seen, now, currentHash),
      ttl: Math.max(0, r.last_seen + this.purgeDelay - now),
    }));
    const last = data[data.length - 1];
    const offset =
      rows.length > size && last ? btoa(JSON.stringify([last.id])).replace(/=+$/, "") : undefined;
    return { data, offset };
  }
}

function liveStatus(
  stored: SyncStatus,
  hash: string,
  lastSeen: number,
  now: number,
  currentHash: string | undefined,
): SyncStatus {
  if (stored !== "normal" && stored !== "unknown") return stored;
  return hash === currentHash && now - lastSeen <= PING_WAIT ? "normal" : "unknown";
}
