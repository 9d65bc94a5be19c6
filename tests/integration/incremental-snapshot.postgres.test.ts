import { freshPostgres } from "../helpers/postgres";
import { incrementalSnapshotSuite } from "./incremental-snapshot.suite";

incrementalSnapshotSuite("Postgres", freshPostgres, {
  freeze: true,
  deflate: "threads",
  keepHashBytes: true,
});
