import { freshPostgres } from "../helpers/postgres";
import { infoSuite } from "./info.suite";

infoSuite("Postgres", freshPostgres);
