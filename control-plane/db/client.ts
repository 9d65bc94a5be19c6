import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { pgSnapshotRead } from "./pg-snapshot-read";
import * as schema from "./schema";
import { readInTransaction, type SnapshotRead } from "./snapshot-read";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export type Database = {
  db: Db;
  /** What the node is connected to, for start-up output (never the password). */
  describe: string;
  migrate(): Promise<void>;
  /** One consistent read-only view of the database, for exports. */
  read: SnapshotRead;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (from any node on the database). Resolves to a
   * function that stops listening.
   */
  listen(channel: string, onNotify: () => void, log: (m: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /**
   * How it was opened, where another thread may open the same database (a server: Postgres, not
   * the embedded PGlite, which one process holds).
   */
  postgres?: PostgresConnection;
};

/** The options `openPostgres` takes. */
export type PostgresConnection = PostgresOptions | { connectionString: string; max?: number };

export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), "../../migrations");

export type PostgresOptions = {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  ssl?: boolean;
  /** Pool size; Kong's `pg_max_concurrent_queries` is the nearest option. */
  max?: number;
};

export function openPostgres(opts: PostgresConnection): Database {
  const pool = new pg.Pool({ ...opts, max: "max" in opts ? opts.max : 10 });
  // An idle client that loses its server must not take the process down with it.
  pool.on("error", (e) => console.error(`[lintel] postgres: ${e.message}`));
  // Nor may one checked out for a transaction (the pool listens to idle clients only): its queries
  // fail with the error, and the pool drops it when it is released.
  pool.on("connect", (client) =>
    client.on("error", (e) => console.error(`[lintel] postgres: connection lost: ${e.message}`)),
  );
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const describe =
    "connectionString" in opts
      ? `postgres ${redact(opts.connectionString)}`
      : `postgres ${opts.user}@${opts.host}:${opts.port}/${opts.database}`;
  return {
    db,
    describe,
    migrate: () => migratePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
    read: pgSnapshotRead(pool, {
      Query: pg.Query,
      drizzle: (client) => drizzlePg(client, { schema }) as unknown as Db,
    }),
    listen: (channel, onNotify, log) => listenPg(pool, channel, onNotify, log),
    close: () => pool.end(),
    postgres: opts,
  };
}

/** The embedded default: PGlite persisted in a folder (or in memory when `dataDir` is undefined). */
export function openPglite(dataDir: string | undefined): Database {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    describe: dataDir ? `embedded PGlite in ${dataDir}` : "embedded PGlite in memory",
    migrate: () => migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
    read: readInTransaction(db),
    // PGlite serves one process, whose writes reach its publisher in-process already
    listen: async () => async () => {},
    close: () => client.close(),
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

/**
 * LISTEN on a connection of its own, re-established after a failure (the polling fallback covers
 * what is missed meanwhile).
 */
async function listenPg(
  pool: pg.Pool,
  channel: string,
  onNotify: () => void,
  log: (m: string) => void,
): Promise<() => Promise<void>> {
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const again = () => {
    if (!stopped && retry === undefined) {
      retry = setTimeout(() => {
        retry = undefined;
        void connect();
      }, 1000);
    }
  };
  const drop = (c: pg.PoolClient) => {
    if (client !== c) return;
    client = undefined;
    c.release(true);
  };
  const connect = async (): Promise<void> => {
    let c: pg.PoolClient | undefined;
    try {
      c = await pool.connect();
      client = c;
      const mine = c;
      mine.on("notification", (n) => {
        if (n.channel === channel) onNotify();
      });
      mine.on("error", (e) => {
        log(`[lintel] cluster: lost the LISTEN connection (${e.message}); polling until it is back`);
        drop(mine);
        again();
      });
      await mine.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (e) {
      log(`[lintel] cluster: cannot LISTEN for changes (${(e as Error).message}); polling meanwhile`);
      if (c) drop(c);
      again();
    }
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const c = client;
    if (c) {
      await c.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
      client = undefined;
      c.release();
    }
  };
}
