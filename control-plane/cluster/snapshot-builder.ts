import type { ClusterIdentity } from "../../shared/cluster/keys";
import {
  type ConfigHashes,
  calculateConfigHash,
  type Md5,
  PrewrittenArray,
  type PrewrittenRun,
  prewriteRun,
} from "../../shared/hash/config-hash";
import { type Section, signSections } from "../../shared/snapshot/codec";
import { isColdType } from "../../shared/snapshot/cold";
import type { Envelope, Manifest } from "../../shared/snapshot/envelope";
import type { Export, ExportedEntity } from "./exporter";
import { RunCache } from "./run-cache";
import { type FlushDeflate, type Segment, SegmentedGzip } from "./segmented-gzip";

/** The most entities compressed together; most segments end earlier, where an id says so. */
const MAX_SEGMENT = 1024;

/**
 * Runs of entities, about 256 each, cut after an entity whose id hashes to 0 in its low 8 bits: a
 * segment's bounds depend on the ids in it alone, so an entity added or removed changes its own
 * segment and no other.
 */
function* runs(entities: readonly ExportedEntity[]): Generator<ExportedEntity[]> {
  let run: ExportedEntity[] = [];
  for (const e of entities) {
    run.push(e);
    if (run.length >= MAX_SEGMENT || (e.idHash & 0xff) === 0) {
      yield run;
      run = [];
    }
  }
  if (run.length) yield run;
}

export type Built = { bytes: Uint8Array; manifest: Manifest };

/**
 * Makes signed snapshots from exports (the same bytes `sealSnapshot` would inflate to), from runs of
 * entities: the config hash from each run's hash bytes, and the sections from each run's text
 * compressed, both made once and kept while the run's entities stay the same. A write to one entity
 * of a large config hashes what it always did at a copy's cost, and writes and compresses one run.
 */
export class SnapshotBuilder {
  private readonly gz: SegmentedGzip;
  private readonly hashRuns = new RunCache<PrewrittenRun>();

  constructor(
    deflate: FlushDeflate,
    private readonly md5: Md5,
    /**
     * Whether each run's hash bytes are kept between builds: a build after a write then hashes at
     * a copy's cost, but they take about a fifth of the memory the rows take (27 MB at 130k
     * entities). Without, every build writes every entity.
     */
    private readonly keepHashBytes = true,
  ) {
    this.gz = new SegmentedGzip(deflate);
  }

  /** A type's runs of hash bytes, each made as the hash reaches it unless the last build made it. */
  private *hashed(name: string, typeRuns: readonly ExportedEntity[][]): Generator<PrewrittenRun> {
    for (const run of typeRuns)
      yield this.hashRuns.get(name, run, () => prewriteRun(run.map((e) => e.entity)));
  }

  /** Segments compressed and reused by the last build. */
  segments = { compressed: 0, reused: 0 };

  async build(
    exp: Export,
    meta: Pick<Envelope, "created_at" | "cp_id">,
    identity: ClusterIdentity,
    kid: string,
  ): Promise<Built> {
    const hotPieces: Array<string | Segment> = [];
    const coldPieces: Segment[] = [];
    const forHash: Record<string, unknown> = { _format_version: "3.0", _transform: false };
    let coldEntities = 0;
    for (const { name, entities } of exp.types) {
      const typeRuns = [...runs(entities)];
      // without keeping bytes, the entities are hashed as they are: as fast, and no bytes made to drop
      forHash[name] = this.keepHashBytes
        ? new PrewrittenArray(
            entities.length,
            () => entities.map((e) => e.entity),
            () => this.hashed(name, typeRuns),
          )
        : entities.map((e) => e.entity);
      if (isColdType(name)) {
        coldEntities += entities.length;
        for (const run of typeRuns) {
          coldPieces.push({
            tag: name,
            records: run,
            text: () => {
              // `JSON.stringify([name, entity])` for each line, without an array made for each
              const open = `[${JSON.stringify(name)},`;
              let lines = "";
              for (const e of run) lines += `${open}${JSON.stringify(e.entity)}]\n`;
              return lines;
            },
          });
        }
        continue;
      }
      hotPieces.push(`,${JSON.stringify(name)}:[`);
      let first = true;
      for (const run of typeRuns) {
        const lead = first ? "" : ",";
        hotPieces.push({
          tag: `${name}${lead}`,
          records: run,
          // the run as one JSON array, without its brackets: one call for the whole run
          text: () => lead + JSON.stringify(run.map((e) => e.entity)).slice(1, -1),
        });
        first = false;
      }
      hotPieces.push("]");
    }
    hotPieces.push("}}");
    let hot: Section;
    let cold: Section;
    let hashes: ConfigHashes;
    try {
      // the sections are started first: an asynchronous deflate compresses them while the config
      // hash is made, and the envelope's head, which holds the hash, is compressed last
      const hotBody = this.gz.start(hotPieces);
      const coldStarted = this.gz.start(coldPieces);
      hashes = calculateConfigHash(forHash, this.md5);
      const head = JSON.stringify({
        version: exp.version,
        epoch: exp.epoch,
        config_hash: hashes.config,
        hashes,
        created_at: meta.created_at,
        cp_id: meta.cp_id,
        config: { _format_version: "3.0", _transform: false },
      });
      [hot, cold] = await Promise.all([
        this.gz.finish(hotBody, head.slice(0, -2)),
        this.gz.finish(coldStarted),
      ]);
    } catch (e) {
      this.gz.abandon();
      this.hashRuns.abandon();
      throw e;
    }
    const sealed = await signSections(
      { ...meta, version: exp.version, epoch: exp.epoch, config_hash: hashes.config },
      hot,
      { ...cold, entities: coldEntities },
      identity,
      kid,
    );
    this.segments = this.gz.commit();
    this.hashRuns.commit();
    return sealed;
  }
}
