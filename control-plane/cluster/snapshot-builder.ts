import type { ClusterIdentity } from "../../shared/cluster/keys";
import {
  type ConfigHashes,
  calculateConfigHash,
  hashesApart,
  isHashedApart,
  joinConfigHash,
  type Md5,
  PrewrittenArray,
  type PrewrittenRun,
  prewriteRun,
  restHash,
} from "../../shared/hash/config-hash";
import { type Section, signSections } from "../../shared/snapshot/codec";
import { isColdType } from "../../shared/snapshot/cold";
import type { Envelope, Manifest } from "../../shared/snapshot/envelope";
import type { Export, ExportedEntity } from "./exporter";
import { RunCache } from "./run-cache";
import { type Compressed, type FlushDeflate, type Part, type Segment, SegmentedGzip } from "./segmented-gzip";

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
 * The rest of a config (the types Kong hashes together, consumers and credentials among them),
 * built apart from the types Kong hashes one by one: on another thread, from an export of its own
 * at the same snapshot (`buildRest`).
 */
export type RestPart = {
  /** Kong's hash of the rest. */
  hash: string;
  /** The hot section's text of the rest's hot types (certificates, SNIs, CA certificates), compressed. */
  hot: Part[];
  /** The cold section, whole. */
  cold: Section & { entities: number };
  /** Segments this build compressed and reused. */
  segments: { compressed: number; reused: number };
  /** Rows its export read, and rows it reused from the export before. */
  read: number;
  reused: number;
};

/**
 * Builds the rest of a config elsewhere (another thread, with its own connection), from an export
 * at the snapshot it is given: `taken` once that export has taken the snapshot (the exporting
 * transaction may end then), `part` once it is built.
 */
export type RestBuilder = {
  /**
   * Whether it can start a build now, holding what it made of the config before (a thread that is
   * still loading or warming up is not).
   */
  readonly ready: boolean;
  /** Makes it ready, in its own time (resolves then): the builds until then are made without it. */
  prepare(): Promise<void>;
  start(snapshot: string): { taken: Promise<void>; part: Promise<RestPart> };
};

/** A build's pieces of text to compress, and what it hashes. */
type Pieces = {
  hot: Array<string | Segment | Compressed>;
  cold: Segment[];
  coldEntities: number;
  forHash: Record<string, unknown>;
};

/**
 * Makes signed snapshots from exports (the same bytes `sealSnapshot` would inflate to), from runs of
 * entities: the config hash from each run's hash bytes, and the sections from each run's text
 * compressed, both made once and kept while the run's entities stay the same. A write to one entity
 * of a large config hashes what it always did at a copy's cost, and writes and compresses one run.
 *
 * A build may take the rest of the config from elsewhere (`build`'s `rest`, made by `buildRest` of
 * another builder): its export then holds the types hashed apart alone.
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

  /** The pieces of an export's types: the hot section's text (without its head), the cold lines. */
  private pieces(exp: Export): Pieces {
    const hot: Pieces["hot"] = [];
    const cold: Segment[] = [];
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
          cold.push({
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
      hot.push(`,${JSON.stringify(name)}:[`);
      let first = true;
      for (const run of typeRuns) {
        const lead = first ? "" : ",";
        hot.push({
          tag: `${name}${lead}`,
          records: run,
          // the run as one JSON array, without its brackets: one call for the whole run
          text: () => lead + JSON.stringify(run.map((e) => e.entity)).slice(1, -1),
        });
        first = false;
      }
      hot.push("]");
    }
    return { hot, cold, coldEntities, forHash };
  }

  /**
   * A snapshot of the export, signed. With `rest`, the export holds the types hashed apart alone
   * (routes, services, plugins, upstreams, targets) and the rest comes from there: its hot text
   * goes first, as every type of it comes before those in Kong's order.
   */
  async build(
    exp: Export,
    meta: Pick<Envelope, "created_at" | "cp_id">,
    identity: ClusterIdentity,
    kid: string,
    rest?: Promise<RestPart>,
  ): Promise<Built> {
    if (rest !== undefined && exp.types.some((t) => !isHashedApart(t.name)))
      throw new Error("an export built with the rest made apart must hold the types hashed apart alone");
    const pieces = this.pieces(exp);
    if (rest !== undefined) pieces.hot.unshift({ compressed: rest.then((r) => r.hot) });
    pieces.hot.push("}}");
    let hot: Section;
    let cold: Section & { entities: number };
    let hashes: ConfigHashes;
    let restSegments = { compressed: 0, reused: 0 };
    try {
      // the sections are started first: an asynchronous deflate compresses them while the config
      // hash is made, and the envelope's head, which holds the hash, is compressed last
      const hotBody = this.gz.start(pieces.hot);
      let coldDone: Promise<Section & { entities: number }>;
      if (rest !== undefined) {
        const apart = hashesApart(pieces.forHash, this.md5);
        const part = await rest;
        hashes = joinConfigHash(apart, part.hash, this.md5);
        coldDone = Promise.resolve(part.cold);
        restSegments = part.segments;
      } else {
        const coldStarted = this.gz.start(pieces.cold);
        hashes = calculateConfigHash(pieces.forHash, this.md5);
        coldDone = this.gz.finish(coldStarted).then((c) => ({ ...c, entities: pieces.coldEntities }));
      }
      const head = JSON.stringify({
        version: exp.version,
        epoch: exp.epoch,
        config_hash: hashes.config,
        hashes,
        created_at: meta.created_at,
        cp_id: meta.cp_id,
        config: { _format_version: "3.0", _transform: false },
      });
      [hot, cold] = await Promise.all([this.gz.finish(hotBody, head.slice(0, -2)), coldDone]);
    } catch (e) {
      this.gz.abandon();
      this.hashRuns.abandon();
      throw e;
    }
    const sealed = await signSections(
      { ...meta, version: exp.version, epoch: exp.epoch, config_hash: hashes.config },
      hot,
      cold,
      identity,
      kid,
    );
    const own = this.gz.commit();
    this.segments = {
      compressed: own.compressed + restSegments.compressed,
      reused: own.reused + restSegments.reused,
    };
    this.hashRuns.commit();
    return sealed;
  }

  /**
   * The rest of a config, from an export that holds the types not hashed apart alone (another
   * builder's `build` takes it): its hash, its hot text compressed, and the cold section.
   */
  async buildRest(exp: Export): Promise<RestPart> {
    if (exp.types.some((t) => isHashedApart(t.name)))
      throw new Error("the rest of a config holds no type hashed apart");
    const pieces = this.pieces(exp);
    try {
      const hotStarted = this.gz.start(pieces.hot);
      const coldStarted = this.gz.start(pieces.cold);
      const hash = restHash(pieces.forHash, this.md5);
      const [hot, cold] = await Promise.all([hotStarted.parts, this.gz.finish(coldStarted)]);
      const segments = this.gz.commit();
      this.hashRuns.commit();
      const coldSection = { ...cold, entities: pieces.coldEntities };
      return { hash, hot, cold: coldSection, segments, read: exp.read, reused: exp.reused };
    } catch (e) {
      this.gz.abandon();
      this.hashRuns.abandon();
      throw e;
    }
  }
}
