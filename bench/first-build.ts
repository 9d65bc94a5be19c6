import { readConfigState } from "../control-plane/cluster/export";
import { ConfigExporter } from "../control-plane/cluster/exporter";
import { nativeMd5 } from "../control-plane/cluster/native-codecs";
import { SnapshotBuilder } from "../control-plane/cluster/snapshot-builder";
import { createDaos } from "../control-plane/dao";
import { openPostgres } from "../control-plane/db/client";
import { DeflateThreads } from "../control-plane/node/deflate-threads";
import { keepSnapshot, readKeptSnapshot } from "../control-plane/node/kept-snapshot";
import { loadClusterIdentity } from "../shared/cluster/keys";

/*
 * A control plane's first build as it starts: run in a process of its own (`npm run bench` spawns
 * it), so that nothing has been compiled or allocated before, one export and one build of the
 * database at LINTEL_BENCH_DB as the publisher makes them, the snapshot then kept at
 * LINTEL_BENCH_KEPT. With LINTEL_BENCH_RESTORE set, it reads that snapshot back instead, as a control
 * plane that starts with the config unchanged serves it. Prints the times as JSON.
 */

export type FirstBuild = { exportMs: number; buildMs: number };
/** With LINTEL_BENCH_RESTORE set: the snapshot the last build kept, read back as a CP starting. */
export type Restored = { restoreMs: number };

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const database = openPostgres({ connectionString: env("LINTEL_BENCH_DB") });
const identity = await loadClusterIdentity(env("LINTEL_BENCH_CERT"), env("LINTEL_BENCH_CERT_KEY"));
if (!identity.ok) throw new Error(`cluster certificate: ${identity.error.reason}`);
const kept = env("LINTEL_BENCH_KEPT");
const threads = new DeflateThreads();
try {
  if (process.env.LINTEL_BENCH_RESTORE) {
    const t0 = performance.now();
    const restored = await readKeptSnapshot(kept, {
      kid: "bench",
      signer: identity.value.chain[0] as Uint8Array,
      maxPayload: 1 << 30,
      current: () => readConfigState(database.db),
    });
    const t1 = performance.now();
    if (!restored.ok) throw new Error(`the kept snapshot was not taken: ${JSON.stringify(restored.why)}`);
    console.log(JSON.stringify({ restoreMs: t1 - t0 } satisfies Restored));
    process.exit(0);
  }
  const exporter = new ConfigExporter(
    database.db,
    createDaos(database.db, () => {}),
    database.read,
  );
  const builder = new SnapshotBuilder(threads.deflate, nativeMd5);
  const t0 = performance.now();
  const exp = await exporter.export();
  const t1 = performance.now();
  const sealed = await builder.build(
    exp,
    { created_at: Date.now(), cp_id: "bench" },
    identity.value,
    "bench",
  );
  const t2 = performance.now();
  await keepSnapshot(kept, { ...sealed, plugins: [] }, "bench");
  const out: FirstBuild = { exportMs: t1 - t0, buildMs: t2 - t1 };
  console.log(JSON.stringify(out));
} finally {
  await threads.close();
  await database.close();
}
