import type { SQL } from "drizzle-orm";
import type { Db, Tx } from "./client";

/**
 * A query's rows handed over one at a time as they arrive, each as its columns' values in order
 * (parsed as the driver parses them): a large read then never holds every row of the driver's
 * at once.
 */
export type RowStream = (query: SQL, onRow: (row: readonly unknown[]) => void) => Promise<void>;

/**
 * `fn` run in one read-only transaction at REPEATABLE READ: every read sees the same snapshot of
 * the database. With a `RowStream` where the driver can stream rows on that transaction.
 */
export type SnapshotRead = <T>(fn: (tx: Db, stream: RowStream | undefined) => Promise<T>) => Promise<T>;

/** A `SnapshotRead` through drizzle's transaction: for any driver, rows read whole. */
export function readInTransaction(db: Db): SnapshotRead {
  return (fn) =>
    db.transaction((tx) => fn(tx as unknown as Db, undefined), {
      isolationLevel: "repeatable read",
      accessMode: "read only",
    });
}

/**
 * The rows of `query` through `stream`, or read whole on `tx` where there is none: either way each
 * as its columns' values in order (the query's columns must have names of their own).
 */
export async function eachRow(
  tx: Tx | Db,
  stream: RowStream | undefined,
  query: SQL,
  onRow: (row: readonly unknown[]) => void,
): Promise<void> {
  if (stream) return stream(query, onRow);
  const result = await tx.execute(query);
  for (const row of (result as unknown as { rows: Array<Record<string, unknown>> }).rows) {
    onRow(Object.values(row));
  }
}
