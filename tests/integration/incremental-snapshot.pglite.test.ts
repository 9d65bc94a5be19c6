import { freshPglite } from "../helpers/postgres";
import { incrementalSnapshotSuite } from "./incremental-snapshot.suite";

incrementalSnapshotSuite("PGlite", freshPglite, { freeze: false, deflate: "inline", keepHashBytes: false });
