import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../control-plane/db/client";
import { freshPostgres } from "../helpers/postgres";

const one = async (db: Database["db"]) => {
  const result = await db.execute(sql`SELECT 1 AS one`);
  return (result as unknown as { rows: Array<{ one: number }> }).rows[0]?.one;
};

/**
 * A connection lost while checked out of the pool (Postgres restarted, a proxy cut it) fails what
 * ran on it, and nothing more: the process goes on (an unhandled error would end it, and fails
 * this test) and the next query gets another connection.
 */
describe("a Postgres connection lost mid-transaction", () => {
  let database: Database & { drop(): Promise<void> };

  beforeAll(async () => {
    database = await freshPostgres({ migrate: false });
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });

  it("fails the transaction, and the next one runs on another connection", async () => {
    const lost = await database.db
      .transaction((tx) => tx.execute(sql`SELECT pg_terminate_backend(pg_backend_pid())`))
      .catch((e: Error) => e);
    expect(lost).toBeInstanceOf(Error);
    expect(await database.db.transaction((tx) => one(tx as unknown as Database["db"]))).toBe(1);
  });

  it("fails the export's read, and the next one runs on another connection", async () => {
    const lost = await database
      .read((tx) => tx.execute(sql`SELECT pg_terminate_backend(pg_backend_pid())`))
      .catch((e: Error) => e);
    expect(lost).toBeInstanceOf(Error);
    expect(await database.read((tx) => one(tx))).toBe(1);
  });
});
