import {
  type DataPlaneDirectory,
  type DataPlanePage,
  type DataPlaneRecord,
  presentPage,
} from "../control-plane/cluster/data-planes";

const PREFIX = "dp:";

/**
 * What the managed CP knows of each DP, in the Hub Durable Object's own storage: the Hub records
 * a DP on every ping without a trip to the database, and `/clustering/data-planes` pages through
 * it in id order.
 */
export class StorageDataPlanes implements DataPlaneDirectory {
  constructor(
    private readonly storage: DurableObjectStorage,
    /** `cluster_data_plane_purge_delay`, seconds. */
    private readonly purgeDelay: number,
  ) {}

  async upsert(dp: DataPlaneRecord): Promise<void> {
    await this.storage.put(PREFIX + dp.id, dp);
  }

  async page(
    size: number,
    after: string | undefined,
    now: number,
    currentHash: string | undefined,
  ): Promise<DataPlanePage> {
    await this.purge(now);
    const rows = await this.storage.list<DataPlaneRecord>({
      prefix: PREFIX,
      startAfter: after === undefined ? undefined : PREFIX + after,
      limit: size + 1,
    });
    return presentPage([...rows.values()], { size, now, currentHash, purgeDelay: this.purgeDelay });
  }

  /** Forgets DPs not seen for `cluster_data_plane_purge_delay`. */
  async purge(now: number): Promise<void> {
    const all = await this.storage.list<DataPlaneRecord>({ prefix: PREFIX });
    const expired = [...all].filter(([, dp]) => dp.last_seen < now - this.purgeDelay).map(([k]) => k);
    for (let i = 0; i < expired.length; i += 128) await this.storage.delete(expired.slice(i, i + 128));
  }
}
