import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { applyDeclarative } from "../control-plane/cluster/declarative";
import { exportConfig } from "../control-plane/cluster/export";
import { ConfigExporter } from "../control-plane/cluster/exporter";
import { nativeFlushDeflate, nativeGzip, nativeMd5 } from "../control-plane/cluster/native-codecs";
import { SnapshotBuilder } from "../control-plane/cluster/snapshot-builder";
import type { Daos } from "../control-plane/dao";
import type { Entity } from "../control-plane/dao/entity-dao";
import type { Db } from "../control-plane/db/client";
import type { SnapshotRead } from "../control-plane/db/snapshot-read";
import { DeflateThreads } from "../control-plane/node/deflate-threads";
import { compileConfig } from "../edge-dp/compiled-config";
import { StoredConsumers } from "../edge-dp/stored-consumers";
import type { ClusterIdentity } from "../shared/cluster/keys";
import { parseDeclarative } from "../shared/declarative/parse";
import { calculateConfigHash } from "../shared/hash/config-hash";
import { hotPart, openManifest, openSnapshot, sealSnapshot } from "../shared/snapshot/codec";
import type { Envelope, Manifest } from "../shared/snapshot/envelope";
import { utf8 } from "../shared/util/bytes";
import { type SnapshotShape, syntheticConfig } from "../tests/helpers/synthetic-config";
import type { FirstBuild, Restored } from "./first-build";
import { median } from "./load";

export type SnapshotRow = {
  entities: number;
  shape: string;
  importMs: number;
  exportMs: number;
  hashMs: number;
  jsonBytes: number;
  gzipBytes: number;
  gzipMs: number;
  sealMs: number;
  verifyMs: number;
  openMs: number;
  compileMs: number;
  heapBytes: number;
  /** The same in an isolate of a DP that keeps consumers and credentials in its node's storage. */
  hotOpenMs: number;
  hotCompileMs: number;
  hotHeapBytes: number;
  /** The DP node reading the cold section one entity at a time (what it indexes), without the writes. */
  coldReadMs: number;
  /** The publisher's path (incremental export and build): its first build, and one after a write. */
  firstExportMs: number;
  /**
   * Fresh exports after the rest, medians of `EXPORT_PAIRS` in turns: with rows streamed as the
   * Node CP reads Postgres, and with each table's rows read whole before they are converted
   * (drizzle's transaction: PGlite's and the managed CP's way, and the Node CP's before).
   */
  streamedExportMs: number;
  wholeExportMs: number;
  firstBuildMs: number;
  /** The first export and build in a new process, as a control plane starts: medians of `NEW_PROCESS_RUNS`. */
  newProcessExportMs: number;
  newProcessBuildMs: number;
  /** A new process's read of the snapshot the build before kept: a CP restarting, config unchanged. */
  newProcessRestoreMs: number;
  /** The same build with every run compressed on the building thread (the publisher before). */
  inlineBuildMs: number;
  writeExportMs: number;
  writeBuildMs: number;
  /** Rows read and segments compressed for the build after the write, of how many. */
  writeRead: number;
  rows: number;
  writeSegments: number;
  segments: number;
  /** What the exporter and builder keep between builds. */
  cacheBytes: number;
  /** The sealed snapshot, for the benchmarks of a DP in workerd. */
  sealed: Uint8Array;
};

setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;
const gc = () => {
  collect();
  collect();
};
/** Compiled configs kept alive until their heap is measured. */
const held: unknown[] = [];

const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
};

/**
 * The path of one config from the Admin API's database to a DP's compiled form, at each size:
 * import (validate and write), export, hash, gzip and sign on the CP; verify, inflate and compile on
 * the DP, with the heap the compiled config holds (V8 in Node, the engine workerd runs).
 */
export async function benchSnapshots(
  db: Db,
  /** The control plane's read for exports (`Database.read`): rows streamed on Postgres. */
  snapshotRead: SnapshotRead,
  daos: Daos,
  identity: ClusterIdentity,
  kid: string,
  shapes: SnapshotShape[],
  log: (m: string) => void,
  /** The database and cluster certificate for the first build in a new process. */
  newProcess: { url: string; cert: string; key: string },
): Promise<SnapshotRow[]> {
  const rows: SnapshotRow[] = [];
  for (const s of shapes) {
    const n = 3 * s.services + 2 * s.consumers;
    log(`snapshot: ${n} entities`);
    const { shape, importMs } = await importShape(db, daos, s);
    const cp = await publisherPath(db, snapshotRead, daos, identity, kid);
    const started = await firstBuildsInNewProcesses(newProcess);
    // the export is dropped with the function's scope: the heaps below must not count it, nor see it
    // collected halfway through
    const { sealed, ...rebuild } = await fullRebuild(db, daos, identity, kid);
    const trust = { signers: [identity.chain[0] as Uint8Array], maxPayload: 1 << 30 };
    const [, verifyMs] = await time(() => openManifest(sealed.bytes, trust));
    const { openMs, compileMs, heapBytes } = await openAndCompile(sealed, trust, "whole");
    const {
      openMs: hotOpenMs,
      compileMs: hotCompileMs,
      heapBytes: hotHeapBytes,
    } = await openAndCompile(sealed, trust, "hot");
    let read = 0;
    const [, coldReadMs] = await time(() =>
      openSnapshot(sealed.bytes, {
        ...trust,
        cold: () => {
          read++;
        },
      }),
    );
    if (read !== sealed.manifest.cold_entities) throw new Error("cold section not read whole");
    rows.push({
      entities: n,
      shape,
      importMs,
      ...rebuild,
      verifyMs,
      openMs,
      compileMs,
      heapBytes,
      hotOpenMs,
      hotCompileMs,
      hotHeapBytes,
      coldReadMs,
      ...cp,
      ...started,
      sealed: sealed.bytes,
    });
  }
  return rows;
}

/**
 * A DP's open and compile of a snapshot, whole or its hot section alone (consumers and credentials
 * then in the node's storage), with the heap what it made holds. Everything measured lives in this
 * function's frame and in `held` only, so that nothing else keeps it or lets it go meanwhile.
 */
async function openAndCompile(
  sealed: { bytes: Uint8Array; manifest: Manifest },
  trust: { signers: Uint8Array[]; maxPayload: number },
  part: "whole" | "hot",
): Promise<{ openMs: number; compileMs: number; heapBytes: number }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const [opened, openMs] = await time(() =>
    part === "whole"
      ? openSnapshot(sealed.bytes, trust)
      : openSnapshot(hotPart(sealed.bytes, sealed.manifest), { ...trust, cold: "skip" }),
  );
  if (!opened.ok) throw new Error(JSON.stringify(opened.error));
  const config = opened.value.envelope.config;
  const [compiled, compileMs] = await time(() =>
    part === "whole"
      ? compileConfig(opened.value.manifest, config)
      : compileConfig(
          opened.value.manifest,
          config,
          new StoredConsumers(config, async () => ({ rows: [], current: true })),
        ),
  );
  if (!compiled.router) throw new Error("no router");
  held.push(compiled, opened);
  gc();
  const heapBytes = process.memoryUsage().heapUsed - before;
  held.length = 0;
  return { openMs, compileMs, heapBytes };
}

/** Imports a config of the shape as a kong.yml (Kong's `POST /config`), timed. */
async function importShape(db: Db, daos: Daos, s: SnapshotShape) {
  const { config: input, shape } = syntheticConfig(s);
  const [applied, importMs] = await time(async () => {
    const parsed = parseDeclarative(input);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error.flattened.slice(0, 3)));
    return applyDeclarative(db, daos, parsed.value);
  });
  if (!applied.ok) throw new Error(applied.error.message);
  return { shape: s.label ? `${shape} (${s.label})` : shape, importMs };
}

/** A full rebuild: export, hash, and seal in one go (what `sealSnapshot` makes), each timed. */
async function fullRebuild(db: Db, daos: Daos, identity: ClusterIdentity, kid: string) {
  const [exported, exportMs] = await time(() => exportConfig(db, daos));
  const config = exported.config;
  const [hashes, hashMs] = await time(() =>
    calculateConfigHash(config as unknown as Record<string, unknown>, nativeMd5),
  );
  const envelope: Envelope = {
    version: exported.version,
    epoch: exported.epoch,
    config_hash: hashes.config,
    hashes,
    created_at: Date.now(),
    cp_id: "bench",
    config,
  };
  const json = utf8.encode(JSON.stringify(envelope));
  const [compressed, gzipMs] = await time(() => nativeGzip(json));
  const [sealed, sealMs] = await time(() => sealSnapshot(envelope, identity, kid, nativeGzip));
  return {
    exportMs,
    hashMs,
    jsonBytes: json.length,
    gzipBytes: compressed.length,
    gzipMs,
    sealMs,
    sealed,
  };
}

/** How many new processes make a first build, one after the other. */
export const NEW_PROCESS_RUNS = 3;

/**
 * The first export and build of a control plane that starts (`bench/first-build.ts`, each in a new
 * process: nothing compiled yet, the heap at its smallest), medians.
 */
async function firstBuildsInNewProcesses(opts: { url: string; cert: string; key: string }) {
  const dir = mkdtempSync(join(tmpdir(), "lintel-bench-kept-"));
  const run = async <T>(restore: boolean): Promise<T> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(import.meta.dirname, "..", "bin", "run-ts.mjs"), join(import.meta.dirname, "first-build.ts")],
      {
        env: {
          ...process.env,
          LINTEL_BENCH_DB: opts.url,
          LINTEL_BENCH_CERT: opts.cert,
          LINTEL_BENCH_CERT_KEY: opts.key,
          LINTEL_BENCH_KEPT: join(dir, "cluster-snapshot"),
          ...(restore ? { LINTEL_BENCH_RESTORE: "1" } : {}),
        },
      },
    );
    // the child's last line is its result
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as T;
  };
  try {
    const builds: FirstBuild[] = [];
    for (let i = 0; i < NEW_PROCESS_RUNS; i++) builds.push(await run<FirstBuild>(false));
    const restores: Restored[] = [];
    for (let i = 0; i < NEW_PROCESS_RUNS; i++) restores.push(await run<Restored>(true));
    return {
      newProcessExportMs: median(builds.map((r) => r.exportMs)),
      newProcessBuildMs: median(builds.map((r) => r.buildMs)),
      newProcessRestoreMs: median(restores.map((r) => r.restoreMs)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the control plane's publisher does: the first build (every row read, every segment
 * compressed), then the build after one write to a consumer through the DAO (the Admin API's path).
 */
/** How many fresh exports of each kind are compared. */
export const EXPORT_PAIRS = 5;

async function publisherPath(db: Db, read: SnapshotRead, daos: Daos, identity: ClusterIdentity, kid: string) {
  gc();
  const before = process.memoryUsage().heapUsed;
  const exporter = new ConfigExporter(db, daos, read);
  // as the Node control plane builds: runs compressed on threads of their own
  const threads = new DeflateThreads();
  const builder = new SnapshotBuilder(threads.deflate, nativeMd5);
  const meta = { created_at: Date.now(), cp_id: "bench" };
  const [first, firstExportMs] = await time(() => exporter.export());
  const [firstBuilt, firstBuildMs] = await time(() => builder.build(first, meta, identity, kid));
  const trust = { signers: [identity.chain[0] as Uint8Array], maxPayload: 1 << 30 };
  if (!(await openSnapshot(firstBuilt.bytes, trust)).ok) throw new Error("the first build does not open");
  const segments = builder.segments.compressed;
  const rows = first.read;
  const consumer = first.types.find((t) => t.name === "consumers")?.entities[0]?.entity;
  if (!consumer) throw new Error("no consumer to write");
  const updated = await daos.consumers.update(consumer as Entity, { custom_id: `written-${Date.now()}` });
  if (!updated.ok) throw new Error(updated.error.message);
  const [next, writeExportMs] = await time(() => exporter.export());
  const [, writeBuildMs] = await time(() => builder.build(next, meta, identity, kid));
  gc();
  const cacheBytes = process.memoryUsage().heapUsed - before;
  held.push(exporter, builder); // alive until here, so that the heap above counts them
  held.length = 0;
  await threads.close();
  // the baseline, measured after (so with the JIT as warm as it gets): a fresh export, built with
  // every run compressed on this thread
  const inline = await new ConfigExporter(db, daos).export();
  const [, inlineBuildMs] = await time(() =>
    new SnapshotBuilder(nativeFlushDeflate, nativeMd5).build(inline, meta, identity, kid),
  );
  // fresh exports with rows streamed and with each table's rows read whole, in turns (each pair in
  // the other order from the last), so that neither is always the one after a collection
  const streamed: number[] = [];
  const whole: number[] = [];
  for (let i = 0; i < EXPORT_PAIRS; i++) {
    const pair = [
      async () => streamed.push((await time(() => new ConfigExporter(db, daos, read).export()))[1]),
      async () => whole.push((await time(() => new ConfigExporter(db, daos).export()))[1]),
    ];
    for (const run of i % 2 ? pair.reverse() : pair) await run();
  }
  return {
    firstExportMs,
    streamedExportMs: median(streamed),
    wholeExportMs: median(whole),
    firstBuildMs,
    inlineBuildMs,
    writeExportMs,
    writeBuildMs,
    writeRead: next.read,
    rows,
    writeSegments: builder.segments.compressed,
    segments,
    cacheBytes,
  };
}
