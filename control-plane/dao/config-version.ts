import { sql } from "drizzle-orm";
import type { Tx } from "../db/client";
import { configVersion } from "../db/schema";

/** Channel on which every committed write is announced to the other CP nodes (Postgres NOTIFY). */
export const CONFIG_CHANNEL = "lintel_config_version";

/**
 * Bumps the cluster's config version in the writer's transaction and announces it: Postgres
 * delivers the notification to every listening CP node when, and only if, the transaction commits.
 */
export async function bumpConfigVersion(tx: Tx): Promise<void> {
  const [row] = await tx
    .insert(configVersion)
    .values({ id: 1, version: 1 })
    .onConflictDoUpdate({ target: configVersion.id, set: { version: sql`${configVersion.version} + 1` } })
    .returning({ version: configVersion.version });
  await tx.execute(sql`select pg_notify(${CONFIG_CHANNEL}, ${String(row?.version ?? 0)})`);
}
