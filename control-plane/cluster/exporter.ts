import { eq, sql } from "drizzle-orm";
import { NO_EPOCH } from "../../shared/snapshot/rollback";
import { type Daos, ENTITY_NAMES, type EntityName } from "../dao";
import type { Db } from "../db/client";
import { configVersion } from "../db/schema";
import { type RowStream, readInTransaction, type SnapshotRead } from "../db/snapshot-read";
import { exportable } from "./export";

/** One row as exported: the entity with its foreign keys flattened, and the version it was read at. */
export class ExportedEntity {
  /** FNV-1a of the id: where a builder cuts runs of entities, made once. */
  readonly idHash: number;

  constructor(
    readonly id: string,
    /** The row version it was made from (Postgres' `xmin`). */
    readonly xmin: string,
    readonly entity: Readonly<Record<string, unknown>>,
  ) {
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    this.idHash = h >>> 0;
  }
}

export type Export = {
  version: number;
  epoch: string;
  /** Entity types in Kong's order, each with its entities in id order; empty types left out. */
  types: Array<{ name: EntityName; entities: ExportedEntity[] }>;
  /** Rows read whole for this export; the others were reused from an earlier one. */
  read: number;
  reused: number;
};

/** What `pg_export_snapshot` returns: hexadecimal numbers joined by dashes. */
const SNAPSHOT_ID = /^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*$/;

/** A 64-bit transaction counter moved this far (half the 32-bit `xmin` space) drops the cache. */
const XID_HORIZON = 2n ** 31n;

/** A table as the last export read it: its rows in id order, and its fingerprint. */
export class TableCache {
  private index: Map<string, ExportedEntity> | undefined;

  constructor(
    readonly rows: readonly ExportedEntity[],
    readonly fingerprint: string,
  ) {}

  /**
   * The rows with these ids (listed in id order, as Postgres orders uuids), undefined where there
   * is none: by walking both lists side by side, as the text of a uuid sorts as its bytes do. A
   * list out of that order is looked up through an index of the rows instead. A row is matched
   * only to its own id, so a walk gone wrong could only miss rows, which are then read again.
   */
  match(ids: readonly string[]): Array<ExportedEntity | undefined> {
    const rows = this.rows;
    const out: Array<ExportedEntity | undefined> = new Array(ids.length);
    let j = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      if (i > 0 && !((ids[i - 1] as string) < id)) return ids.map((id) => this.get(id));
      while (j < rows.length && (rows[j] as ExportedEntity).id < id) j++;
      out[i] = rows[j]?.id === id ? rows[j] : undefined;
    }
    return out;
  }

  private get(id: string): ExportedEntity | undefined {
    if (!this.index) {
      this.index = new Map();
      for (const e of this.rows) this.index.set(e.id, e);
    }
    return this.index.get(id);
  }
}

/**
 * Kong's `export_config` for a control plane that exports after every write: one consistent read
 * (REPEATABLE READ, READ ONLY) as `exportConfig` makes, but rows whose id and row version
 * (`xmin`) are those of a row seen before are not read or converted again: the same objects are
 * exported, so that a builder reuses what it made of them. A write to one entity of a large config reads that entity, and the ids and versions
 * of the rest.
 *
 * `xmin` names the transaction that wrote a row version: on one server's timeline the same id
 * with the same `xmin` is the same version. Everything is read again when that might not hold:
 * another epoch (another database), a version lower than one seen (a restored database), another
 * server or a restarted one (a failover, a point-in-time recovery or a crash may hand out a lost
 * transaction's number again), or a transaction counter moved by 2^31 since the cache began
 * (32-bit `xmin` values repeat after a wraparound). What is left: a row frozen with its `xmin`
 * from before the cache began and written again by exactly the transaction whose number wraps
 * to it, about one chance in 2^31 for each write to such a row.
 */
export class ConfigExporter {
  private cache = new Map<EntityName, TableCache>();
  private seen: { epoch: string; version: number; since: bigint; server: string } | undefined;

  constructor(
    db: Db,
    private readonly daos: Daos,
    /** How the one consistent read is made: streaming whole tables where the driver can. */
    private readonly read: SnapshotRead = readInTransaction(db),
  ) {}

  /**
   * One export. On Postgres, two exporters may read at the same snapshot: one `share`s its own (it
   * is handed over, and the read lasts until `share` resolves, as an exported snapshot can be taken
   * only while the transaction that exported it is open), the other reads `at` it, and says when
   * it has `taken` it.
   *
   * `types` are the types it exports (in Kong's order whatever the order given), by default all:
   * another exporter may read the others at the same snapshot, if no type here refers to one there
   * that may be left out. What it kept of the others is dropped.
   */
  async export(
    opts: {
      types?: readonly EntityName[];
      at?: { snapshot: string; taken(): void };
      share?: (snapshot: string) => Promise<void>;
    } = {},
  ): Promise<Export> {
    const types = opts.types ? ENTITY_NAMES.filter((name) => opts.types?.includes(name)) : ENTITY_NAMES;
    return this.read(async (tx, stream) => {
      if (opts.at) {
        const { snapshot } = opts.at;
        if (!SNAPSHOT_ID.test(snapshot)) throw new Error(`not a snapshot id: ${JSON.stringify(snapshot)}`);
        // the first statement of the transaction, as Postgres requires
        await tx.execute(sql.raw(`SET TRANSACTION SNAPSHOT '${snapshot}'`));
        opts.at.taken();
      }
      let shared: Promise<void> | undefined;
      if (opts.share) {
        const result = await tx.execute(sql`SELECT pg_export_snapshot() AS snapshot`);
        const [row] = (result as unknown as { rows: Array<{ snapshot: string }> }).rows;
        shared = opts.share(row?.snapshot ?? "");
        // its failure is seen below, once this read is done with
        shared.catch(() => undefined);
      }
      const out = await this.exportIn(tx, stream, types);
      await shared;
      return out;
    });
  }

  private async exportIn(
    tx: Db,
    stream: RowStream | undefined,
    types: readonly EntityName[],
  ): Promise<Export> {
    for (const name of this.cache.keys()) if (!types.includes(name)) this.cache.delete(name);
    const [row] = await tx.select().from(configVersion).where(eq(configVersion.id, 1));
    const version = row?.version ?? 0;
    const epoch = row?.epoch ?? NO_EPOCH;
    const { xid, server } = await timeline(tx);
    const seen = this.seen;
    if (
      !seen ||
      seen.epoch !== epoch ||
      seen.server !== server ||
      version < seen.version ||
      xid < seen.since ||
      xid - seen.since >= XID_HORIZON
    ) {
      this.cache.clear();
      this.seen = { epoch, version, since: xid, server };
    } else {
      seen.version = version;
    }
    const out: Export = { version, epoch, types: [], read: 0, reused: 0 };
    const left = new Set<string>();
    for (const name of types) {
      const dao = this.daos[name];
      const table = await this.readTable(tx, stream, name, out);
      this.cache.set(name, table);
      const entities: ExportedEntity[] = [];
      for (const e of table.rows) {
        if (exportable(name, e.entity, dao.fks, left)) entities.push(e);
        else left.add(e.id);
      }
      if (entities.length) out.types.push({ name, entities });
    }
    return out;
  }

  /**
   * A table's rows: those of the last export when its fingerprint (row count and a 64-bit sum over
   * ids and versions) is the same, else the rows it kept where their version is the same and
   * the others read.
   */
  private async readTable(
    tx: Db,
    stream: RowStream | undefined,
    name: EntityName,
    out: Export,
  ): Promise<TableCache> {
    const dao = this.daos[name];
    const fingerprint = await dao.fingerprint(tx);
    const cached = this.cache.get(name);
    if (cached?.fingerprint === fingerprint) {
      out.reused += cached.rows.length;
      return cached;
    }
    const rows: ExportedEntity[] = [];
    if (!cached?.rows.length) {
      // nothing to reuse: one read of every row with its version
      for (const { entity, xmin } of await dao.exportRows(tx, undefined, stream)) {
        rows.push(new ExportedEntity(entity.id, xmin, entity));
      }
      out.read += rows.length;
      return new TableCache(rows, fingerprint);
    }
    const versions = await dao.versions(tx, stream);
    const olds = cached.match(versions.map((v) => v.id));
    const stale = versions.filter((v, i) => olds[i]?.xmin !== v.xmin);
    const fresh = new Map<string, ExportedEntity>();
    if (stale.length) {
      // past a quarter of the table, one scan is cheaper than lookups by id
      const ids = stale.length * 4 > versions.length ? undefined : stale.map((v) => v.id);
      for (const { entity, xmin } of await dao.exportRows(tx, ids, stream)) {
        fresh.set(entity.id, new ExportedEntity(entity.id, xmin, entity));
      }
    }
    for (let i = 0; i < versions.length; i++) {
      const v = versions[i] as (typeof versions)[number];
      const old = olds[i];
      const e = old?.xmin === v.xmin ? old : fresh.get(v.id);
      // a row written after `versions` is not seen by this transaction: always found
      if (!e || e.xmin !== v.xmin) throw new Error(`${name} ${v.id} was listed but not read`);
      if (e === old) out.reused++;
      else out.read++;
      rows.push(e);
    }
    return new TableCache(rows, fingerprint);
  }
}

/**
 * Where the transaction counter stands (64 bits, with its epoch: it never wraps), and which server
 * run hands it out (the postmaster's start time: another after a restart, a failover or a restore).
 */
async function timeline(tx: Db): Promise<{ xid: bigint; server: string }> {
  const result = await tx.execute(
    sql`SELECT txid_snapshot_xmax(txid_current_snapshot())::text AS xid, pg_postmaster_start_time()::text AS server`,
  );
  const [row] = (result as unknown as { rows: Array<{ xid: string; server: string }> }).rows;
  return { xid: BigInt(row?.xid ?? 0), server: row?.server ?? "" };
}
