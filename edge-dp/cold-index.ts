import { consumerKeys } from "../shared/plugins/runtime/consumer-keys";
import { type OpenError, type OpenOptions, openManifest, readSections } from "../shared/snapshot/codec";
import type { ColdType } from "../shared/snapshot/cold";
import type { Manifest } from "../shared/snapshot/envelope";
import type { Pieces } from "../shared/util/pieces";
import type { Result } from "../shared/util/result";

/** Rows per INSERT: a statement takes at most 100 bound parameters. */
const ROWS_PER_INSERT = 33;

export type IndexBuild = {
  add(type: ColdType, entity: Record<string, unknown>): void;
  /** Makes the new rows the ones lookups read, and drops the old. */
  commit(configHash: string): void;
  /** Drops what was written (a snapshot refused half-way). */
  abort(): void;
};

/**
 * A large config's consumers and credentials in the DP node's SQLite storage, by the keys of
 * `consumerKeys`. A new config's rows are written under a new generation while lookups go on
 * reading the old one, then swapped in one statement.
 */
export class ColdIndex {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS cold_rows (gen INTEGER NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS cold_rows_key ON cold_rows (gen, k)`);
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
      .exec<{ v: string }>(`SELECT v FROM cold_rows WHERE gen = ? AND k = ? ORDER BY rowid`, built.gen, key)
      .toArray()
      .map((r) => JSON.parse(r.v));
    return { rows, configHash: built.config_hash };
  }

  begin(): IndexBuild {
    const gen = (this.builtFor()?.gen ?? 0) + 1;
    this.sql.exec(`DELETE FROM cold_rows WHERE gen = ?`, gen); // left by an earlier failed build
    let pending: unknown[] = [];
    let rows = 0;
    const flush = () => {
      if (rows === 0) return;
      const values = Array.from({ length: rows }, () => "(?, ?, ?)").join(", ");
      this.sql.exec(`INSERT INTO cold_rows (gen, k, v) VALUES ${values}`, ...pending);
      pending = [];
      rows = 0;
    };
    return {
      add: (type, entity) => {
        for (const [key, value] of consumerKeys(type, entity)) {
          pending.push(gen, key, JSON.stringify(value));
          if (++rows === ROWS_PER_INSERT) flush();
        }
      },
      commit: (configHash) => {
        flush();
        this.sql.exec(
          `INSERT INTO cold_meta (id, gen, config_hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET gen = excluded.gen, config_hash = excluded.config_hash`,
          gen,
          configHash,
        );
        this.sql.exec(`DELETE FROM cold_rows WHERE gen <> ?`, gen);
      },
      abort: () => {
        this.sql.exec(`DELETE FROM cold_rows WHERE gen = ?`, gen);
      },
    };
  }

  /** Drops every row (the config's consumers now fit in the isolates). */
  clear(): void {
    this.sql.exec(`DELETE FROM cold_rows`);
    this.sql.exec(`DELETE FROM cold_meta`);
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
