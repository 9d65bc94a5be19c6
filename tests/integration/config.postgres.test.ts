import { freshPostgres } from "../helpers/postgres";
import { configSuite } from "./config.suite";

configSuite("Postgres", freshPostgres);
