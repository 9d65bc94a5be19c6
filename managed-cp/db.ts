import { Client, neonConfig, Pool } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Db } from "../control-plane/db/client";
import { type PgDriver, pgSnapshotRead } from "../control-plane/db/pg-snapshot-read";
import * as schema from "../control-plane/db/schema";
import type { SnapshotRead } from "../control-plane/db/snapshot-read";
import journal from "../migrations/meta/_journal.json";

/** A WebSocket-to-TCP proxy in front of a Postgres that is not Neon's: its host, port and path. */
export type WebSocketProxy = { secure: boolean; target: string };

export type Connection = {
  db: Db;
  /** One consistent read-only view of the database, its rows streamed: the Hub's exports. */
  read: SnapshotRead;
  close(): Promise<void>;
};

/**
 * Postgres over WebSocket (Neon's serverless driver, node-postgres' API), for one request or one
 * Durable Object: a Worker may not carry sockets from one request to the next.
 */
export function connect(
  url: string,
  proxy: WebSocketProxy | undefined,
  opts: { who: string; idleMs?: number },
): Connection {
  const who = opts.who;
  if (proxy) {
    neonConfig.wsProxy = (host, port) => `${proxy.target}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = proxy.secure;
    // an ordinary Postgres behind a proxy: no password pipelining, TLS is the WebSocket's
    neonConfig.pipelineConnect = false;
    neonConfig.forceDisablePgSSL = true;
  }
  const pool = new Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: opts.idleMs ?? 10_000,
  });
  let ending = false;
  // workerd reports the server closing a socket it was asked to close as a lost connection
  pool.on("error", (e: Error) => {
    if (!ending) console.error(`[lintel] postgres (${who}): ${e.message}`);
  });
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  // the driver is node-postgres' code: its Query streams rows as node-postgres' does
  const driver: PgDriver = {
    Query: (Client as unknown as { Query: PgDriver["Query"] }).Query,
    drizzle: (client) => drizzle({ client: client as never, schema }) as unknown as Db,
  };
  return {
    db,
    read: pgSnapshotRead(pool as unknown as Parameters<typeof pgSnapshotRead>[0], driver),
    close: () => {
      ending = true;
      return pool.end();
    },
  };
}

/** The migrations this build of Lintel expects to find applied. */
export const EXPECTED_MIGRATIONS = journal.entries.length;

/**
 * Whether the database has Lintel's schema, in Kong's words otherwise: a Worker does not migrate
 * (`lintel migrations up` does, as `kong migrations` does).
 */
export async function schemaState(db: Db): Promise<{ ready: true } | { ready: false; message: string }> {
  let applied: number;
  try {
    const rows = (await db.execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    )) as unknown as {
      rows: Array<{ n: number }>;
    };
    applied = rows.rows[0]?.n ?? 0;
  } catch (e) {
    if (!missingRelation(e)) throw e;
    applied = 0;
  }
  if (applied === 0) {
    return {
      ready: false,
      message: "Database needs bootstrapping; run 'lintel migrations up' against DATABASE_URL",
    };
  }
  if (applied < EXPECTED_MIGRATIONS) {
    return {
      ready: false,
      message: `New migrations available (${EXPECTED_MIGRATIONS - applied}); run 'lintel migrations up' against DATABASE_URL`,
    };
  }
  return { ready: true };
}

/** Postgres' undefined_table or invalid_schema_name, wherever drizzle wrapped it. */
function missingRelation(e: unknown): boolean {
  for (let at: unknown = e; at instanceof Error; at = at.cause) {
    const code = (at as { code?: unknown }).code;
    if (code === "42P01" || code === "3F000") return true;
  }
  return false;
}
