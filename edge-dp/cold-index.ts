import { consumerKeys } from "../shared/plugins/runtime/consumer-keys";
import { type OpenError, type OpenOptions, openManifest, readSections } from "../shared/snapshot/codec";
import type { ColdType } from "../shared/snapshot/cold";
import type { Manifest } from "../shared/snapshot/envelope";
import type { Pieces } from "../shared/util/pieces";
import type { Result } from "../shared/util/result";

/** Rows per INSERT: a statement takes at most 100 bound parameters. */
const ROWS_PER_INSERT = 50;

export type IndexBuild = {
  add(type: ColdType, entity: Record<string, unknown>): void;
  /** Makes the new rows the ones lookups read, and drops the old. */
  commit(configHash: string): void;
  /** Drops what was written (a snapshot refused half-way). */
  abort(): void;
};

/** The table of a generation's rows (`gen` is a number this index counts: no quoting needed). */
const rowsOf = (gen: number) => `cold_rows_${gen}`;

/**
 * A large config's consumers and credentials in the DP node's SQLite storage, by the keys of
 * `consumerKeys`. A new config's rows are written to a table of their own, without an index,
 * while lookups go on reading the old one; the index is then made in one sort, and the new table
 * swapped in (at 500k entities, a third of the time of keeping an index up to date row by row).
 */
export class ColdIndex {
  constructor(private readonly sql: SqlStorage) {
    // the layout before tables of their own: dropped, and built again from the stored snapshot
    // (the node reindexes what it holds when it starts)
    if (this.tables().includes("cold_rows")) {
      sql.exec(`DROP TABLE cold_rows`);
      sql.exec(`DROP TABLE IF EXISTS cold_meta`);
    }
    sql.exec(
      `CREATE TABLE IF NOT EXISTS cold_meta (id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL, config_hash TEXT NOT NULL)`,
    );
  }

  /** The config the rows belong to, if there are any. */
  builtFor(): { gen: number; config_hash: string } | undefined {
    const row = this.sql
      .exec<{ gen: number; config_hash: string }>(`SELECT gen, config_hash FROM cold_meta`)
      .toArray()[0];
    return row ? { gen: row.gen, config_hash: row.config_hash } : undefined;
  }

  /** Every value under a key, in the order the config had them, and the config they belong to. */
  find(key: string): { rows: unknown[]; configHash: string | undefined } {
    const built = this.builtFor();
    if (!built) return { rows: [], configHash: undefined };
    const rows = this.sql
      .exec<{ v: string }>(`SELECT v FROM ${rowsOf(built.gen)} WHERE k = ? ORDER BY rowid`, key)
      .toArray()
      .map((r) => JSON.parse(r.v));
    return { rows, configHash: built.config_hash };
  }

  begin(): IndexBuild {
    const gen = (this.builtFor()?.gen ?? 0) + 1;
    const table = rowsOf(gen);
    this.sql.exec(`DROP TABLE IF EXISTS ${table}`); // left by an earlier failed build
    this.sql.exec(`CREATE TABLE ${table} (k TEXT NOT NULL, v TEXT NOT NULL)`);
    const insert = (rows: number) =>
      `INSERT INTO ${table} (k, v) VALUES ${Array.from({ length: rows }, () => "(?, ?)").join(", ")}`;
    const full = insert(ROWS_PER_INSERT);
    let pending: unknown[] = [];
    let rows = 0;
    const flush = () => {
      if (rows === 0) return;
      this.sql.exec(rows === ROWS_PER_INSERT ? full : insert(rows), ...pending);
      pending = [];
      rows = 0;
    };
    return {
      add: (type, entity) => {
        for (const [key, value] of consumerKeys(type, entity)) {
          pending.push(key, JSON.stringify(value));
          if (++rows === ROWS_PER_INSERT) flush();
        }
      },
      commit: (configHash) => {
        flush();
        this.sql.exec(`CREATE INDEX ${table}_k ON ${table} (k)`);
        this.sql.exec(
          `INSERT INTO cold_meta (id, gen, config_hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET gen = excluded.gen, config_hash = excluded.config_hash`,
          gen,
          configHash,
        );
        this.dropRows(table);
      },
      abort: () => {
        this.sql.exec(`DROP TABLE IF EXISTS ${table}`);
      },
    };
  }

  /** Drops every row (the config's consumers now fit in the isolates). */
  clear(): void {
    this.sql.exec(`DELETE FROM cold_meta`);
    this.dropRows();
  }

  /** Drops the tables of rows, but `keep`. */
  private dropRows(keep?: string): void {
    for (const name of this.tables()) {
      if (/^cold_rows_\d+$/.test(name) && name !== keep) this.sql.exec(`DROP TABLE ${name}`);
    }
  }

  private tables(): string[] {
    return this.sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cold_rows%'`,
      )
      .toArray()
      .map((r) => r.name);
  }
}

/**
 * The most JSON of consumers and credentials isolates hold, whatever their number: an isolate
 * has 128 MB, and a snapshot with them must stay within what one RPC carries (32 MiB).
 */
export const MAX_COLD_IN_MEMORY = 8 * 1024 * 1024;

/**
 * Whether a config keeps its consumers and credentials in the node's storage: more of them than
 * `data_plane_consumers_in_memory`, or more than MAX_COLD_IN_MEMORY of JSON.
 */
export const storesConsumers = (m: Pick<Manifest, "cold_entities" | "cold_size">, inMemory: number) =>
  (m.cold_entities ?? 0) > inMemory || (m.cold_size ?? 0) > MAX_COLD_IN_MEMORY;

/** Entities indexed between two turns of the node's event loop. */
const INDEX_BATCH = 2000;

/**
 * Verifies a snapshot as the DP node does before keeping it, every section; when the config
 * keeps its consumers and credentials in storage (over `inMemory`), they are indexed as they are
 * read, unless the index already holds this config. Nothing of a refused snapshot is kept.
 */
export async function openAndIndex(
  bytes: Uint8Array | Pieces,
  opts: OpenOptions,
  index: ColdIndex,
  inMemory: number,
): Promise<Result<{ manifest: Manifest }, OpenError>> {
  const head = await openManifest(bytes, opts);
  if (!head.ok) return head;
  const { manifest } = head.value;
  if (!storesConsumers(manifest, inMemory) || index.builtFor()?.config_hash === manifest.config_hash) {
    return readSections(head.value, "verify");
  }
  const started = Date.now();
  const build = index.begin();
  let added = 0;
  const opened = await readSections(head.value, async (type, entity) => {
    build.add(type, entity);
    // the node's other events (isolates' calls, the CP's next frames) are taken in between
    if (++added % INDEX_BATCH === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  });
  if (opened.ok) {
    build.commit(manifest.config_hash);
    console.log(
      `[lintel] dp: ${manifest.cold_entities} consumers and credentials of config ${manifest.config_hash} kept in the node's storage (${Date.now() - started} ms)`,
    );
  } else build.abort();
  return opened;
}
