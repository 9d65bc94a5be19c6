import { freshPostgres } from "../helpers/postgres";
import { incrementalSnapshotSuite } from "./incremental-snapshot.suite";

// the Node CP on a Postgres server: the rest of the config built on a thread of its own
incrementalSnapshotSuite("Postgres, rest thread", freshPostgres, {
  freeze: true,
  deflate: "threads",
  keepHashBytes: true,
  restThread: true,
});
