import { neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { Database } from "../../control-plane/db/client";
import { eachRow, type RowStream } from "../../control-plane/db/snapshot-read";
import { connect } from "../../managed-cp/db";
import { startPgWebSocketRelay } from "../helpers/pg-websocket-relay";
import { freshPglite, freshPostgres } from "../helpers/postgres";

type Open = () => Promise<Database & { drop(): Promise<void> }>;

const count = async (db: Database["db"]) => {
  const result = await db.execute(sql`SELECT count(*)::int AS n FROM items`);
  return (result as unknown as { rows: Array<{ n: number }> }).rows[0]?.n;
};

/** A query's rows as `eachRow` hands them over: through the stream, or read whole without one. */
async function rowsOf(tx: Database["db"], stream: RowStream | undefined, query: ReturnType<typeof sql>) {
  const rows: unknown[][] = [];
  await eachRow(tx, stream, query, (row) => rows.push([...row]));
  return rows;
}

/**
 * The managed CP's: Neon's driver (node-postgres' code over a WebSocket) through the relay that
 * stands in for Neon's proxy. Its pool has one connection, which a read holds: the other queries
 * of the tests go through a pool of their own.
 */
async function freshNeon() {
  // Node 20 has no WebSocket of its own; workerd does
  neonConfig.webSocketConstructor = WebSocket as unknown as typeof neonConfig.webSocketConstructor;
  const server = await freshPostgres({ migrate: false });
  const relay = await startPgWebSocketRelay();
  const proxy = { secure: false, target: relay.url.replace(/^ws:\/\//, "") };
  const reader = connect(server.url, proxy, { who: "test reader" });
  const others = connect(server.url, proxy, { who: "test" });
  return {
    db: others.db,
    read: reader.read,
    url: server.url,
    drop: async () => {
      await reader.close();
      await others.close();
      await relay.close();
      await server.drop();
    },
  } as unknown as Database & { drop(): Promise<void> };
}

/**
 * The one consistent read an export makes (`Database.read`): streamed on a Postgres server (by
 * node-postgres, and by Neon's driver in the managed CP), whole on PGlite.
 */
describe.each<[string, Open, boolean]>([
  ["Postgres", () => freshPostgres({ migrate: false }), true],
  ["Neon's driver", freshNeon, true],
  ["PGlite", freshPglite, false],
])("snapshot read (%s)", (_label, open, server) => {
  let database: Database & { drop(): Promise<void> };

  beforeAll(async () => {
    database = await open();
    await database.db.execute(sql`CREATE TABLE items (id int PRIMARY KEY, name text, n bigint, doc jsonb)`);
    await database.db.execute(
      sql`INSERT INTO items SELECT x, 'item-' || x, x::bigint * 1000000000, jsonb_build_object('x', x) FROM generate_series(1, 2000) x`,
    );
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });

  it(server ? "streams rows in order, parsed as the driver parses them" : "reads rows whole", async () => {
    const rows = await database.read(async (tx, stream) => {
      expect(stream !== undefined).toBe(server);
      return rowsOf(tx, stream, sql`SELECT id, name, n, doc FROM items ORDER BY id`);
    });
    expect(rows).toHaveLength(2000);
    expect(rows[0]).toEqual([1, "item-1", expect.anything(), { x: 1 }]);
    expect(String(rows[1999]?.[2])).toBe("2000000000000");
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  // PGlite has one connection, which the transaction holds: nobody else writes meanwhile
  it.runIf(server)("sees one snapshot: a row committed meanwhile is not seen", async () => {
    const seen = await database.read(async (tx) => {
      const before = await count(tx);
      // committed by another session while this transaction is open
      await database.db.execute(sql`INSERT INTO items VALUES (5000, 'late', 0, '{}')`);
      const after = await count(tx);
      return [before, after];
    });
    expect(seen).toEqual([2000, 2000]);
    expect(await count(database.db)).toBe(2001);
    await database.db.execute(sql`DELETE FROM items WHERE id = 5000`);
  });

  it("is read-only", async () => {
    const refused = await database.read((tx) => tx.execute(sql`DELETE FROM items`)).catch((e: Error) => e);
    // Postgres' read_only_sql_transaction, under drizzle's "Failed query"
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe("25006");
    expect(await count(database.db)).toBe(2000);
  });

  it.runIf(server)(
    "fails with the error a row raised, and the connection is fit for the next read",
    async () => {
      const broken = new Error("this row cannot be taken");
      let taken = 0;
      await expect(
        database.read((_tx, stream) =>
          (stream as RowStream)(sql`SELECT id FROM items ORDER BY id`, (row) => {
            taken++;
            if (row[0] === 10) throw broken;
          }),
        ),
      ).rejects.toBe(broken);
      // the rows after the one that failed are not handed over
      expect(taken).toBe(10);
      expect(await database.read((tx) => count(tx))).toBe(2000);
    },
  );

  it.runIf(server)(
    "fails with the server's error raised midway, and leaves no transaction open",
    async () => {
      await expect(
        database.read((_tx, stream) =>
          (stream as RowStream)(sql`SELECT 1 / (id - 1500) FROM items ORDER BY id`, () => {}),
        ),
      ).rejects.toThrow(/division by zero/);
      expect(await database.read((tx) => count(tx))).toBe(2000);
      const admin = new pg.Client({ connectionString: (database as unknown as { url: string }).url });
      await admin.connect();
      const open = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
      );
      await admin.end();
      expect(open.rows[0].n).toBe(0);
    },
  );
});
