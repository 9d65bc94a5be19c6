import { PgDialect } from "drizzle-orm/pg-core";
import type pg from "pg";
import type { Db } from "./client";
import type { RowStream, SnapshotRead } from "./snapshot-read";

const dialect = new PgDialect();

/**
 * What a driver of node-postgres' API gives a streamed read: its `Query` (an event emitter of rows
 * that a client submits; Neon's serverless driver, built on node-postgres, has it as
 * `Client.Query`), and drizzle over one of its clients.
 */
export type PgDriver = {
  Query: new (config: pg.QueryConfig) => pg.Query;
  drizzle(client: pg.PoolClient): Db;
};

/**
 * A `SnapshotRead` on node-postgres (or a pool of its API) whose `RowStream` hands each row over as
 * its DataRow arrives: node-postgres' own `query` keeps every row of a result until the last, and
 * at a large export those rows live long enough to be copied by the young generation's collector
 * before they are dropped.
 */
export function pgSnapshotRead(pool: Pick<pg.Pool, "connect">, driver: PgDriver): SnapshotRead {
  return async (fn) => {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const tx = driver.drizzle(client);
      const out = await fn(tx, (query, onRow) => streamRows(client, driver.Query, query, onRow));
      await client.query("COMMIT");
      return out;
    } catch (e) {
      // a connection that cannot even roll back is not handed out again
      broken = await client.query("ROLLBACK").then(
        () => false,
        () => true,
      );
      throw e;
    } finally {
      client.release(broken);
    }
  };
}

function streamRows(
  client: pg.PoolClient,
  Query: PgDriver["Query"],
  query: Parameters<RowStream>[0],
  onRow: Parameters<RowStream>[1],
) {
  const { sql, params } = dialect.sqlToQuery(query);
  return new Promise<void>((resolve, reject) => {
    // rows as arrays (node-postgres reads `rowMode` from any query config; its types leave it out)
    const config: pg.QueryArrayConfig = { text: sql, values: params, rowMode: "array" };
    const q = new Query(config as pg.QueryConfig);
    // a row that cannot be taken fails the read once the server is done with the query, so that
    // the connection is left in step with it
    let failed: { error: unknown } | undefined;
    q.on("row", (row: unknown[]) => {
      if (failed) return;
      try {
        onRow(row);
      } catch (e) {
        failed = { error: e };
      }
    });
    q.on("error", reject);
    q.on("end", () => (failed ? reject(failed.error) : resolve()));
    client.query(q);
  });
}
