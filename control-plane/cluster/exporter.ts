import { eq, sql } from "drizzle-orm";
import { NO_EPOCH } from "../../shared/snapshot/rollback";
import { type Daos, ENTITY_NAMES, type EntityName } from "../dao";
import type { Written } from "../dao/entity-dao";
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

/** A table's row count, and how many of its rows were written since the last export. */
type Tally = { count: number; fresh: number };

/** A table as the last export read it: its rows in id order. */
export class TableCache {
  private index: Map<string, ExportedEntity> | undefined;

  constructor(readonly rows: readonly ExportedEntity[]) {}

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
 * (REPEATABLE READ, READ ONLY) as `exportConfig` makes, but only the rows written since the last
 * export are read and converted: the others are the same objects, so that a builder reuses what it
 * made of them. A write to one entity of a large config reads that entity and counts each table's
 * rows; the ids and versions of a table are listed only when rows were deleted from it.
 *
 * A row version the last export did not see was written by a transaction numbered from that
 * export's snapshot's `xmin` on (every transaction before it had ended, and the snapshot saw those
 * that committed), which each table is asked for; a row written since and seen already, by a
 * transaction that ended as the last export began, is the same object again.
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
  private seen:
    | {
        epoch: string;
        version: number;
        since: bigint;
        server: string;
        /** The oldest transaction the last export's snapshot did not see (its `xmin`), once one is done. */
        last?: bigint;
      }
    | undefined;

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
    const { xid, xmin, server } = await timeline(tx);
    let seen = this.seen;
    if (
      !seen ||
      seen.epoch !== epoch ||
      seen.server !== server ||
      version < seen.version ||
      xid < seen.since ||
      xid - seen.since >= XID_HORIZON
    ) {
      this.cache.clear();
      seen = { epoch, version, since: xid, server };
      this.seen = seen;
    } else {
      seen.version = version;
    }
    // every row version the last export did not see was written by a transaction from its
    // snapshot's xmin on (those before had all ended, and it saw those that committed)
    const written = seen.last === undefined ? undefined : { from: seen.last, window: xid - seen.last };
    const out: Export = { version, epoch, types: [], read: 0, reused: 0 };
    // one query for every table held: its count, and how many of its rows were written since
    const held = written ? types.filter((name) => this.cache.has(name)) : [];
    const counts =
      written && held.length ? await this.tallies(tx, held, written) : new Map<EntityName, Tally>();
    const left = new Set<string>();
    for (const name of types) {
      const dao = this.daos[name];
      const tally = counts.get(name);
      const since = tally && written ? { ...tally, written } : undefined;
      const table = await this.readTable(tx, stream, name, out, since);
      this.cache.set(name, table);
      const entities: ExportedEntity[] = [];
      for (const e of table.rows) {
        if (exportable(name, e.entity, dao.fks, left)) entities.push(e);
        else left.add(e.id);
      }
      if (entities.length) out.types.push({ name, entities });
    }
    // an export that failed part of the way leaves this as it was: the next reads from there
    seen.last = xmin;
    return out;
  }

  /** Each table's row count and rows `written`, in one query. */
  private async tallies(
    tx: Db,
    names: readonly EntityName[],
    written: Written,
  ): Promise<Map<EntityName, Tally>> {
    const query = sql.join(
      names.map(
        (name, i) =>
          sql`SELECT ${sql.raw(String(i))} AS i, n, w FROM (${this.daos[name].tally(written)}) AS t`,
      ),
      sql` UNION ALL `,
    );
    const result = await tx.execute(query);
    const rows = (result as unknown as { rows: Array<{ i: number; n: number; w: number }> }).rows;
    const out = new Map<EntityName, Tally>();
    for (const row of rows) {
      const name = names[Number(row.i)];
      if (name) out.set(name, { count: Number(row.n), fresh: Number(row.w) });
    }
    return out;
  }

  /**
   * A table's rows: those the last export read, with the rows written since in their place (`since`:
   * the table's count, and how many rows were written since). A table whose count then falls short
   * of the rows held lost some: which, the ids and versions of its rows tell. Without an export
   * before, every row is read.
   */
  private async readTable(
    tx: Db,
    stream: RowStream | undefined,
    name: EntityName,
    out: Export,
    since: (Tally & { written: Written }) | undefined,
  ): Promise<TableCache> {
    const dao = this.daos[name];
    const cached = this.cache.get(name);
    if (!cached || !since) {
      const rows: ExportedEntity[] = [];
      for (const { entity, xmin } of await dao.exportRows(tx, undefined, stream)) {
        rows.push(new ExportedEntity(entity.id, xmin, entity));
      }
      out.read += rows.length;
      return new TableCache(rows);
    }
    const { count } = since;
    if (since.fresh === 0 && count === cached.rows.length) {
      out.reused += count;
      return cached;
    }
    const changed = since.fresh === 0 ? [] : await dao.exportRows(tx, { written: since.written }, stream);
    out.read += changed.length;
    // the rows held and those written, both in id order, walked side by side
    const old = cached.rows;
    const rows: ExportedEntity[] = [];
    let j = 0;
    let added = 0;
    let lastId = "";
    for (const { entity, xmin } of changed) {
      const id = entity.id;
      // never so (Postgres orders uuids as their text sorts): all read again if it were
      if (!(lastId < id)) {
        out.read -= changed.length;
        return this.readTable(tx, stream, name, out, undefined);
      }
      lastId = id;
      while (j < old.length && (old[j] as ExportedEntity).id < id) rows.push(old[j++] as ExportedEntity);
      const before = old[j]?.id === id ? (old[j++] as ExportedEntity) : undefined;
      if (!before) added++;
      // a version the last export saw already (written while it began): what it made of it
      rows.push(before?.xmin === xmin ? before : new ExportedEntity(id, xmin, entity));
    }
    while (j < old.length) rows.push(old[j++] as ExportedEntity);
    if (old.length + added === count) {
      out.reused += count - changed.length;
      return new TableCache(rows);
    }
    return this.dropDeleted(tx, stream, name, out, new TableCache(rows));
  }

  /** `held` less the rows deleted since: those whose id and version Postgres does not list. */
  private async dropDeleted(
    tx: Db,
    stream: RowStream | undefined,
    name: EntityName,
    out: Export,
    held: TableCache,
  ): Promise<TableCache> {
    const dao = this.daos[name];
    const versions = await dao.versions(tx, stream);
    const found = held.match(versions.map((v) => v.id));
    // a row held in another version (frozen by VACUUM where a server shows it so): read again
    const stale = versions.filter((v, i) => found[i]?.xmin !== v.xmin).map((v) => v.id);
    const fresh = new Map<string, ExportedEntity>();
    for (const { entity, xmin } of stale.length ? await dao.exportRows(tx, { ids: stale }, stream) : []) {
      fresh.set(entity.id, new ExportedEntity(entity.id, xmin, entity));
    }
    out.read += stale.length;
    const rows: ExportedEntity[] = [];
    for (let i = 0; i < versions.length; i++) {
      const v = versions[i] as (typeof versions)[number];
      const e = found[i]?.xmin === v.xmin ? found[i] : fresh.get(v.id);
      // a row written after `versions` is not seen by this transaction: always found
      if (!e || e.xmin !== v.xmin) throw new Error(`${name} ${v.id} was listed but not read`);
      rows.push(e);
    }
    out.reused += rows.length - stale.length;
    return new TableCache(rows);
  }
}

/**
 * Where the transaction counter stands (64 bits, with its epoch: it never wraps), and which server
 * run hands it out (the postmaster's start time: another after a restart, a failover or a restore).
 */
async function timeline(tx: Db): Promise<{ xid: bigint; xmin: bigint; server: string }> {
  const result = await tx.execute(
    sql`SELECT txid_snapshot_xmax(s)::text AS xid, txid_snapshot_xmin(s)::text AS xmin, pg_postmaster_start_time()::text AS server FROM txid_current_snapshot() AS s`,
  );
  const [row] = (result as unknown as { rows: Array<{ xid: string; xmin: string; server: string }> }).rows;
  return { xid: BigInt(row?.xid ?? 0), xmin: BigInt(row?.xmin ?? 0), server: row?.server ?? "" };
}
