import { sql } from "drizzle-orm";
import { applyDeclarative } from "../control-plane/cluster/declarative";
import { ConfigExporter } from "../control-plane/cluster/exporter";
import { nativeMd5 } from "../control-plane/cluster/native-codecs";
import { APART_TYPES } from "../control-plane/cluster/publisher";
import { type RestPart, SnapshotBuilder } from "../control-plane/cluster/snapshot-builder";
import type { Daos } from "../control-plane/dao";
import type { Db, PostgresConnection } from "../control-plane/db/client";
import type { SnapshotRead } from "../control-plane/db/snapshot-read";
import { DeflateThreads } from "../control-plane/node/deflate-threads";
import { RestThread } from "../control-plane/node/rest-thread";
import type { ClusterIdentity } from "../shared/cluster/keys";
import { parseDeclarative } from "../shared/declarative/parse";
import { type SnapshotShape, syntheticConfig } from "../tests/helpers/synthetic-config";
import { median } from "./load";

/** How many imports are built each way, in turns. */
export const IMPORT_ROUNDS = 3;

export type RestThreadRow = {
  /** A full build after an import, on the publisher's thread alone: median ms. */
  oneThreadMs: number;
  /** The same with the rest of the config on the rest thread: median ms. */
  restThreadMs: number;
  /** Of which the export on the publisher's thread (the types hashed apart). */
  apartExportMs: number;
  /** When the rest thread's part (export and build) was ready, from the build's start. */
  restReadyMs: number;
  /**
   * Each half with the machine to itself: the rest thread's part with the publisher's thread idle,
   * then the publisher's export and build of the types apart, joined with that part. With a core
   * for each (and for Postgres), a build takes about the longer of the two.
   */
  restAloneMs: number;
  apartAloneMs: number;
};

/**
 * What a control plane on Postgres does after `POST /config` of a large config: every row new, so
 * every row read and every segment compressed, with the JIT warm and the caches of the config
 * before. Built on one thread, and with the rest on the rest thread (ready, as it is from a node's
 * second build on), and each half alone, after imports in turns so that no way is always the one after another.
 */
export async function benchRestThread(
  db: Db,
  read: SnapshotRead,
  daos: Daos,
  postgres: PostgresConnection,
  identity: ClusterIdentity,
  kid: string,
  shape: SnapshotShape,
): Promise<RestThreadRow> {
  const threads = new DeflateThreads();
  const rest = new RestThread(postgres);
  const meta = { created_at: Date.now(), cp_id: "bench" };
  const one = {
    exporter: new ConfigExporter(db, daos, read),
    builder: new SnapshotBuilder(threads.deflate, nativeMd5),
  };
  const two = {
    exporter: new ConfigExporter(db, daos, read),
    builder: new SnapshotBuilder(threads.deflate, nativeMd5),
  };
  // shares a snapshot and reads nothing: the rest thread's part on its own
  const sharer = new ConfigExporter(db, daos, read);
  const buildOne = async () => one.builder.build(await one.exporter.export(), meta, identity, kid);
  const buildTwo = async () => {
    let part: Promise<RestPart> | undefined;
    const t = performance.now();
    const exp = await two.exporter.export({
      types: APART_TYPES,
      share: (snapshot) => {
        const started = rest.start(snapshot);
        part = started.part;
        return started.taken;
      },
    });
    const exportMs = performance.now() - t;
    let readyMs = 0;
    const timed = part?.then((p) => {
      readyMs = performance.now() - t;
      return p;
    });
    await two.builder.build(exp, meta, identity, kid, timed);
    return { exportMs, readyMs };
  };
  try {
    // as a running node: a first build each, the rest thread started after it and warmed up
    await buildOne();
    await two.builder.build(await two.exporter.export(), meta, identity, kid);
    await rest.prepare();
    const oneMs: number[] = [];
    const twoMs: number[] = [];
    const apartMs: number[] = [];
    const readyMs: number[] = [];
    const restAloneMs: number[] = [];
    const apartAloneMs: number[] = [];
    const importAgain = async () => {
      const parsed = parseDeclarative(syntheticConfig(shape).config);
      if (!parsed.ok) throw new Error("the synthetic config does not parse");
      const applied = await applyDeclarative(db, daos, parsed.value);
      if (!applied.ok) throw new Error(applied.error.message);
      // the dead rows of the import before are not left for one of the two to step over
      await db.execute(sql`VACUUM ANALYZE`);
    };
    for (let i = 0; i < IMPORT_ROUNDS; i++) {
      const turns = [
        async () => {
          await importAgain();
          const t = performance.now();
          await buildOne();
          oneMs.push(performance.now() - t);
        },
        async () => {
          await importAgain();
          const t = performance.now();
          const { exportMs, readyMs: ready } = await buildTwo();
          apartMs.push(exportMs);
          readyMs.push(ready);
          twoMs.push(performance.now() - t);
        },
        async () => {
          await importAgain();
          let part: Promise<RestPart> | undefined;
          let t = performance.now();
          await sharer.export({
            types: [],
            share: (snapshot) => {
              const started = rest.start(snapshot);
              part = started.part;
              return started.taken;
            },
          });
          const built = await part;
          restAloneMs.push(performance.now() - t);
          if (!built) throw new Error("the export did not share its snapshot");
          t = performance.now();
          const exp = await two.exporter.export({ types: APART_TYPES });
          await two.builder.build(exp, meta, identity, kid, Promise.resolve(built));
          apartAloneMs.push(performance.now() - t);
        },
      ];
      // each way first in one import of three, second in another, last in the third
      for (let k = 0; k < turns.length; k++) await (turns[(i + k) % turns.length] as () => Promise<void>)();
    }
    return {
      oneThreadMs: median(oneMs),
      restThreadMs: median(twoMs),
      apartExportMs: median(apartMs),
      restReadyMs: median(readyMs),
      restAloneMs: median(restAloneMs),
      apartAloneMs: median(apartAloneMs),
    };
  } finally {
    await rest.close();
    await threads.close();
  }
}

const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);

/** BENCHMARKS.md's part on the rest thread, for a config of `entities` on a machine of `cores`. */
export function restThreadSection(row: RestThreadRow, entities: number, cores: number): string {
  return `On a Postgres server, the Node control plane builds the rest of the
config (what Kong hashes together: certificates, SNIs, CA certificates, consumers and credentials)
on a thread of its own (\`control-plane/node/rest-thread.ts\`), with its own connection reading at
the snapshot the publisher's export shares (\`pg_export_snapshot\`), while the publisher exports and
builds the types Kong hashes one by one. The thread loads and warms up after a node's first build,
which stays on one thread. Measured after a \`POST /config\` of the last
row's config (every row new, so every row read and every run compressed), the caches and the JIT
warm, ${IMPORT_ROUNDS} imports built each way in turns, medians. Baseline: the same build on the
publisher's thread alone, in the same run. Then each half with the machine to itself: the rest
thread's part with the publisher's thread idle, and the publisher's export and build of the types
apart; with a core for each and for Postgres, a build takes about the longer of the two.

| entities | one thread ms | rest on its thread ms | ratio | the publisher's export ms | the rest's part ready at ms | the rest alone ms | the types apart alone ms | the longer ÷ one thread |
|---|---|---|---|---|---|---|---|---|
| ${entities} | ${f(row.oneThreadMs)} | ${f(row.restThreadMs)} | ${f(row.restThreadMs / row.oneThreadMs)} | ${f(row.apartExportMs)} | ${f(row.restReadyMs)} | ${f(row.restAloneMs)} | ${f(row.apartAloneMs)} | ${f(Math.max(row.restAloneMs, row.apartAloneMs) / row.oneThreadMs)} |

This machine has ${cores} cores.
`;
}
