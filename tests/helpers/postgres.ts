import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, openPglite, openPostgres } from "../../control-plane/db/client";

/** The Postgres server the tests use; on this project's machines and in CI it is always there. */
export const TEST_PG_URL = process.env.LINTEL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A fresh database on the real Postgres server for one test file, migrated unless told not to. Unreachable Postgres is
 * an error, never a skip: these tests must run in CI.
 */
export async function freshPostgres(
  opts: { migrate?: boolean } = {},
): Promise<Database & { url: string; drop(): Promise<void> }> {
  const name = `lintel_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(
      `Postgres is not reachable at ${TEST_PG_URL} (${(e as Error).message}). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  const database = openPostgres({ connectionString: url.toString() });
  if (opts.migrate !== false) await database.migrate();
  return {
    ...database,
    url: url.toString(),
    async drop() {
      await database.close();
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** PGlite in memory, migrated: the embedded default. */
export async function freshPglite(): Promise<Database & { drop(): Promise<void> }> {
  const database = openPglite(undefined);
  await database.migrate();
  return { ...database, drop: () => database.close() };
}
