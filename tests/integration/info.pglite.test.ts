import { freshPglite } from "../helpers/postgres";
import { infoSuite } from "./info.suite";

infoSuite("PGlite", freshPglite);
