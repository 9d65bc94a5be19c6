import { ConfigExporter } from "../control-plane/cluster/exporter";
import { nativeMd5 } from "../control-plane/cluster/native-codecs";
import { SnapshotBuilder } from "../control-plane/cluster/snapshot-builder";
import { createDaos } from "../control-plane/dao";
import { openPostgres } from "../control-plane/db/client";
import { DeflateThreads } from "../control-plane/node/deflate-threads";
import { loadClusterIdentity } from "../shared/cluster/keys";

/*
 * A control plane's first build as it starts: run in a process of its own (`npm run bench` spawns
 * it), so that nothing has been compiled or allocated before, one export and one build of the
 * database at LINTEL_BENCH_DB as the publisher makes them. Prints their times as JSON.
 */

export type FirstBuild = { exportMs: number; buildMs: number };

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const database = openPostgres({ connectionString: env("LINTEL_BENCH_DB") });
const identity = await loadClusterIdentity(env("LINTEL_BENCH_CERT"), env("LINTEL_BENCH_CERT_KEY"));
if (!identity.ok) throw new Error(`cluster certificate: ${identity.error.reason}`);
const threads = new DeflateThreads();
try {
  const exporter = new ConfigExporter(
    database.db,
    createDaos(database.db, () => {}),
    database.read,
  );
  const builder = new SnapshotBuilder(threads.deflate, nativeMd5);
  const t0 = performance.now();
  const exp = await exporter.export();
  const t1 = performance.now();
  await builder.build(exp, { created_at: Date.now(), cp_id: "bench" }, identity.value, "bench");
  const t2 = performance.now();
  const out: FirstBuild = { exportMs: t1 - t0, buildMs: t2 - t1 };
  console.log(JSON.stringify(out));
} finally {
  await threads.close();
  await database.close();
}
